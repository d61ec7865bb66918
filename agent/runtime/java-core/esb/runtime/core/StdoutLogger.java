package esb.runtime.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.function.Consumer;

import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;

/**
 * Context.getLogger() and LambdaRuntime.getLogger(), writing as Lambda's Java runtime does
 * (docs/agent.md, "Log lines"): one call is one log event, here one line of stdout (its newlines
 * as carriage returns); with AWS_LAMBDA_LOG_FORMAT=JSON a String is a
 * {"timestamp","message","level","AWSRequestId"} record; a call with a level below
 * AWS_LAMBDA_LOG_LEVEL is left out, and in text it starts with `[LEVEL] `. Bytes are written as
 * they are. The client tells it each invocation's request id (Consumer).
 */
public final class StdoutLogger implements LambdaLogger, Consumer<String> {
    private static final String[] LEVELS = {"UNDEFINED", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};

    /** Loaded with the first JSON line: java.time takes a JVM milliseconds to load, a cold start in text need not pay them. */
    private static final class Time {
        static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    }

    private static final boolean JSON = "JSON".equalsIgnoreCase(System.getenv("AWS_LAMBDA_LOG_FORMAT"));
    /** Index in LEVELS of the lowest level written (0: all). */
    private static final int MINIMUM = Math.max(0, levelIndex(System.getenv("AWS_LAMBDA_LOG_LEVEL")));
    private static volatile String requestId;
    private static StdoutLogger shared;

    /** The logger LambdaRuntime.getLogger() gives (the client makes the Context's with the constructor: they write alike). */
    public static synchronized StdoutLogger shared() {
        if (shared == null) shared = new StdoutLogger();
        return shared;
    }

    /** The request id of the invocation running (null before the first). */
    public void accept(String id) {
        requestId = id;
    }

    public void log(String message) {
        write(message, 0);
    }

    public void log(byte[] message) {
        writeBytes(message);
    }

    public void log(String message, LogLevel logLevel) {
        int level = logLevel == null ? 0 : levelIndex(logLevel.name());
        if (level == 0 || level >= MINIMUM) write(message, level);
    }

    public void log(byte[] message, LogLevel logLevel) {
        int level = logLevel == null ? 0 : levelIndex(logLevel.name());
        if (level == 0 || level >= MINIMUM) writeBytes(message);
    }

    /** A handler's error, as Lambda's runtime logs it: as it is in text, at ERROR in JSON. */
    public void logError(String text) {
        write(text, JSON ? 5 : 0);
    }

    private static int levelIndex(String name) {
        if (name == null) return -1;
        for (int i = 0; i < LEVELS.length; i++) if (LEVELS[i].equalsIgnoreCase(name)) return i;
        return -1;
    }

    private void write(String message, int level) {
        String text = String.valueOf(message);
        String line;
        if (JSON) {
            StringBuilder b = new StringBuilder(text.length() + 120).append("{\"timestamp\":\"").append(Time.FORMAT.format(Instant.now())).append("\",\"message\":");
            quote(b, text).append(",\"level\":\"").append(LEVELS[level]).append('"');
            String id = requestId;
            if (id != null) quote(b.append(",\"AWSRequestId\":"), id);
            line = b.append("}\n").toString();
        } else {
            if (text.endsWith("\n")) text = text.substring(0, text.length() - 1);
            line = (level == 0 ? "" : "[" + LEVELS[level] + "] ") + text.replace('\n', '\r') + "\n";
        }
        synchronized (System.out) {
            System.out.print(line);
            System.out.flush();
        }
    }

    private static void writeBytes(byte[] message) {
        byte[] bytes = message == null ? "null".getBytes(StandardCharsets.UTF_8) : message;
        synchronized (System.out) {
            try {
                System.out.write(bytes);
                if (bytes.length == 0 || bytes[bytes.length - 1] != '\n') System.out.write('\n');
            } catch (IOException e) {
                // System.out's PrintStream does not throw; kept for the signature
            }
            System.out.flush();
        }
    }

    /** A JSON string (the client's Json is compiled apart from these classes, which the function's loader loads). */
    private static StringBuilder quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        return b.append('"');
    }

    @Override
    public String toString() { return "LambdaLogger"; }
}
