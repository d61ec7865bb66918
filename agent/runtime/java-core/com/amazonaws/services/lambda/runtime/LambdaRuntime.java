package com.amazonaws.services.lambda.runtime;

import esb.runtime.core.StdoutLogger;

/**
 * The runtime's logger for code without a Context at hand (log4j2's Lambda appender writes
 * through it). esb's copy of the aws-lambda-java-core class (see Context), which esb's client
 * loads in place of the function's own, as Lambda's runtime does: it writes as Context.getLogger().
 */
public final class LambdaRuntime {
    private LambdaRuntime() {}

    private static volatile LambdaLogger logger = StdoutLogger.shared();

    public static LambdaLogger getLogger() {
        return logger;
    }
}
