package com.amazonaws.services.lambda.runtime;

import java.nio.charset.StandardCharsets;

/** The runtime's logger for code without a Context at hand (esb's copy of the aws-lambda-java-core class, see Context). */
public final class LambdaRuntime {
    private LambdaRuntime() {}

    private static final LambdaLogger LOGGER = new LambdaLogger() {
        @Override
        public void log(String message) {
            System.out.print(message.endsWith("\n") ? message : message + "\n");
            System.out.flush();
        }

        @Override
        public void log(byte[] message) {
            log(new String(message, StandardCharsets.UTF_8));
        }
    };

    public static LambdaLogger getLogger() {
        return LOGGER;
    }
}
