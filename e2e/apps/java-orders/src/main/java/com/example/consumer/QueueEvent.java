package com.example.consumer;

import java.util.List;
import java.util.Map;

/** The shape of aws-lambda-java-events' SQSEvent: Records of messages with bean setters. */
public class QueueEvent {
    private List<Message> records;

    public List<Message> getRecords() { return records; }
    public void setRecords(List<Message> records) { this.records = records; }

    public static class Message {
        private String messageId;
        private String body;
        private String eventSourceArn;
        private Map<String, String> attributes;

        public String getMessageId() { return messageId; }
        public void setMessageId(String messageId) { this.messageId = messageId; }
        public String getBody() { return body; }
        public void setBody(String body) { this.body = body; }
        public String getEventSourceArn() { return eventSourceArn; }
        public void setEventSourceArn(String eventSourceArn) { this.eventSourceArn = eventSourceArn; }
        public Map<String, String> getAttributes() { return attributes; }
        public void setAttributes(Map<String, String> attributes) { this.attributes = attributes; }
    }
}
