package helloworld;

import java.util.HashMap;
import java.util.Map;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.google.gson.Gson;

/**
 * Handler for requests to Lambda function.
 */
public class App implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    static final String GREETING = "hello world";
    private static final Gson GSON = new Gson();

    public Map<String, Object> handleRequest(final Map<String, Object> input, final Context context) {
        Map<String, String> headers = new HashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("X-Custom-Header", "application/json");

        Map<String, Object> body = new HashMap<>();
        body.put("message", GREETING);
        body.put("location", sourceIp(input));
        body.put("param1", System.getenv("PARAM1"));

        Map<String, Object> response = new HashMap<>();
        response.put("statusCode", 200);
        response.put("headers", headers);
        response.put("body", GSON.toJson(body));
        return response;
    }

    @SuppressWarnings("unchecked")
    private static String sourceIp(Map<String, Object> input) {
        Object requestContext = input == null ? null : input.get("requestContext");
        if (!(requestContext instanceof Map)) return "unknown";
        Object identity = ((Map<String, Object>) requestContext).get("identity");
        if (!(identity instanceof Map)) return "unknown";
        Object ip = ((Map<String, Object>) identity).get("sourceIp");
        return ip == null ? "unknown" : ip.toString();
    }
}
