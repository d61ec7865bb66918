package com.example.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.example.model.Order;
import com.google.gson.Gson;
import com.google.gson.JsonSyntaxException;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** REST API Gateway proxy events as a Map, as many Java handlers take them. */
public class OrderApi implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    private static final Gson GSON = new Gson();
    private final String currency = System.getenv("CURRENCY");

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        LambdaLogger logger = context.getLogger();
        String method = (String) event.get("httpMethod");
        logger.log("order api " + method + " " + event.get("path"));
        if ("POST".equals(method)) return create((String) event.get("body"), context);
        @SuppressWarnings("unchecked")
        Map<String, String> params = (Map<String, String>) event.get("pathParameters");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", params.get("id"));
        body.put("currency", currency);
        body.put("requestId", context.getAwsRequestId());
        body.put("function", context.getFunctionName());
        body.put("memoryMb", context.getMemoryLimitInMB());
        body.put("remainingMs", context.getRemainingTimeInMillis());
        body.put("java", System.getProperty("java.specification.version"));
        return response(200, body);
    }

    private Map<String, Object> create(String json, Context context) {
        Order order;
        try {
            order = GSON.fromJson(json, Order.class);
        } catch (JsonSyntaxException e) {
            return response(400, Map.of("message", "not an order: " + e.getMessage()));
        }
        if (order == null || order.getId() == null) return response(400, Map.of("message", "an order needs an id"));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", order.getId());
        body.put("customer", order.getCustomer());
        body.put("total", order.total());
        body.put("currency", currency);
        return response(201, body);
    }

    private static Map<String, Object> response(int status, Object body) {
        Map<String, Object> response = new HashMap<>();
        response.put("statusCode", status);
        response.put("headers", Map.of("Content-Type", "application/json"));
        response.put("body", GSON.toJson(body));
        return response;
    }
}
