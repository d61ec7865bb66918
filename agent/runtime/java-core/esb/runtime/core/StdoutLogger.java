package esb.runtime.core;

import java.nio.charset.StandardCharsets;

import com.amazonaws.services.lambda.runtime.LambdaLogger;

/** Context.getLogger(): one call is one log event on Lambda, here one line (or several) of stdout. */
public final class StdoutLogger implements LambdaLogger {
    public void log(String message) {
        String text = String.valueOf(message);
        System.out.print(text.endsWith("\n") ? text : text + "\n");
        System.out.flush();
    }

    public void log(byte[] message) {
        log(message == null ? null : new String(message, StandardCharsets.UTF_8));
    }

    @Override
    public String toString() { return "LambdaLogger"; }
}
