package esb.runtime.core;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;

/**
 * One invocation's Context as a plain class, which the JVM loads in a fraction of the time a
 * java.lang.reflect.Proxy takes to generate (docs/agent.md, "Java"). It sits beside esb's copy of
 * the interfaces so that the function's class loader loads it: it then implements the
 * function's own Context, whichever aws-lambda-java-core the function packages. The client
 * falls back to a proxy when that Context has a method this class lacks.
 */
public final class InvocationContext implements Context {
    private final String requestId;
    private final long deadlineMs;
    private final String functionArn;
    private final String traceId;
    private final String functionName;
    private final String functionVersion;
    private final String logGroup;
    private final String logStream;
    private final int memoryMb;
    private final LambdaLogger logger;
    private final CognitoIdentity identity;
    private final ClientContext clientContext;

    /** `function`: name, version, log group, log stream; identity and client context may be null. */
    public InvocationContext(String requestId, long deadlineMs, String functionArn, String traceId, String[] function, int memoryMb, Object logger, Object identity, Object clientContext) {
        this.requestId = requestId;
        this.deadlineMs = deadlineMs;
        this.functionArn = functionArn;
        this.traceId = traceId;
        this.functionName = function[0];
        this.functionVersion = function[1];
        this.logGroup = function[2];
        this.logStream = function[3];
        this.memoryMb = memoryMb;
        this.logger = (LambdaLogger) logger;
        this.identity = (CognitoIdentity) identity;
        this.clientContext = (ClientContext) clientContext;
    }

    public String getAwsRequestId() { return requestId; }
    public String getLogGroupName() { return logGroup; }
    public String getLogStreamName() { return logStream; }
    public String getFunctionName() { return functionName; }
    public String getFunctionVersion() { return functionVersion; }
    public String getInvokedFunctionArn() { return functionArn; }
    public CognitoIdentity getIdentity() { return identity; }
    public ClientContext getClientContext() { return clientContext; }
    public int getRemainingTimeInMillis() { return (int) Math.max(0, Math.min(Integer.MAX_VALUE, deadlineMs - System.currentTimeMillis())); }
    public int getMemoryLimitInMB() { return memoryMb; }
    public LambdaLogger getLogger() { return logger; }
    /** A default method in newer aws-lambda-java-core versions: this answers it. */
    public String getXrayTraceId() { return traceId; }

    @Override
    public String toString() { return "Context(" + requestId + ")"; }
}
