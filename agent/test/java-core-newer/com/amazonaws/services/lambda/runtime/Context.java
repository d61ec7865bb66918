package com.amazonaws.services.lambda.runtime;

/**
 * A Context as a later aws-lambda-java-core might declare it, with an abstract method esb's
 * InvocationContext does not have: the client must fall back to a proxy (ContextProbe).
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

    String getTenantId();
}
