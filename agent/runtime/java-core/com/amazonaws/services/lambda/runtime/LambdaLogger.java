package com.amazonaws.services.lambda.runtime;

/** Writes to the function's log (esb's copy of the aws-lambda-java-core interface, see Context). */
public interface LambdaLogger {
    void log(String message);

    void log(byte[] message);
}
