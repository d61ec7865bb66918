package com.amazonaws.services.lambda.runtime;

import com.amazonaws.services.lambda.runtime.logging.LogLevel;

/** Writes to the function's log (esb's copy of the aws-lambda-java-core interface, see Context). */
public interface LambdaLogger {
    void log(String message);

    void log(byte[] message);

    /** A line at a level: left out below AWS_LAMBDA_LOG_LEVEL, `[LEVEL] ` before it in text. */
    default void log(String message, LogLevel logLevel) {
        log(message);
    }

    default void log(byte[] message, LogLevel logLevel) {
        log(message);
    }
}
