package com.example.report;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.google.gson.Gson;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Packaged without libraries: gson comes from the GsonLayer (java/lib/ of a layer), the
 * RequestHandler and Context interfaces from the runtime (aws-lambda-java-core in scope provided).
 */
public class Report implements RequestHandler<Map<String, Object>, String> {
    @Override
    public String handleRequest(Map<String, Object> event, Context context) {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("orders", event.get("orders"));
        report.put("gsonFrom", Gson.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        return new Gson().toJson(report);
    }
}
