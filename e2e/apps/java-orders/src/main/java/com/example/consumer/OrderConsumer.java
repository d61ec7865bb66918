package com.example.consumer;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.example.model.Order;
import com.google.gson.Gson;

/** Orders from the queue, a batch at a time. */
public class OrderConsumer implements RequestHandler<QueueEvent, String> {
    private static final Gson GSON = new Gson();

    @Override
    public String handleRequest(QueueEvent event, Context context) {
        int n = 0;
        for (QueueEvent.Message m : event.getRecords()) {
            Order order = GSON.fromJson(m.getBody(), Order.class);
            String sent = m.getAttributes() == null ? null : m.getAttributes().get("SentTimestamp");
            context.getLogger().log("processed order " + order.getId() + " total " + order.total() + " from " + m.getEventSourceArn() + " sent " + (sent != null));
            n++;
        }
        return "processed " + n;
    }
}
