package esb.runtime.core;

import java.util.function.Function;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;

/**
 * One invocation's Context as a plain class, which the JVM loads in a fraction of the time a
 * java.lang.reflect.Proxy takes to generate (docs/agent.md, "Java"). It sits beside esb's copy of
 * the interfaces so that the function's class loader loads it: it then implements the
 * function's own Context, whichever aws-lambda-java-core the function packages. The client
 * falls back to a proxy when that Context has a method this class lacks. The client makes them
 * through a Factory: a reflective constructor call costs a JDK 18+ JVM milliseconds of method
 * handle generation the first time, an interface call nothing.
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

    /**
     * Makes an InvocationContext of (requestId, deadlineMs, functionArn, traceId, function,
     * memoryMb, logger, identity, clientContext), the constructor's parameters in order.
     */
    public static final class Factory implements Function<Object[], Object> {
        public Object apply(Object[] a) {
            return new InvocationContext((String) a[0], (Long) a[1], (String) a[2], (String) a[3], (String[]) a[4], (Integer) a[5], a[6], a[7], a[8]);
        }
    }

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
