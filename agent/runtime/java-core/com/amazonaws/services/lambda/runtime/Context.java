package com.amazonaws.services.lambda.runtime;

/**
 * The invocation's context, as Lambda's Java runtimes give it. esb's copy of the
 * aws-lambda-java-core interfaces: on the classpath after the function's own classes and
 * libraries, so a function that does not package them (Maven scope `provided`) still loads, as
 * on Lambda, and one that does uses its own (docs/agent.md, "Java").
 */
public interface Context {
    String getAwsRequestId();

    String getLogGroupName();

    String getLogStreamName();

    String getFunctionName();

    String getFunctionVersion();

    String getInvokedFunctionArn();

    CognitoIdentity getIdentity();

    ClientContext getClientContext();

    int getRemainingTimeInMillis();

    int getMemoryLimitInMB();

    LambdaLogger getLogger();
}
