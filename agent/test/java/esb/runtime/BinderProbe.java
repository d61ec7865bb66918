package esb.runtime;

import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.amazonaws.services.lambda.runtime.events.StreamChange;
import com.amazonaws.services.lambda.runtime.events.models.s3.S3EventNotification.S3EventNotificationRecord;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs esb's Java binder and writer on fixed cases and prints one JSON object of what came out,
 * for agent/src/java-client.int.test.ts to check.
 */
public final class BinderProbe {
    public static class Queue {
        private List<Message> records;
        public List<Message> getRecords() { return records; }
        public void setRecords(List<Message> r) { records = r; }
    }

    public static class Message {
        private String messageId;
        private String eventSourceArn;
        private Map<String, String> attributes;
        public String getMessageId() { return messageId; }
        public void setMessageId(String v) { messageId = v; }
        public String getEventSourceArn() { return eventSourceArn; }
        public void setEventSourceArn(String v) { eventSourceArn = v; }
        public Map<String, String> getAttributes() { return attributes; }
        public void setAttributes(Map<String, String> v) { attributes = v; }
    }

    public static class Overloaded {
        public String chosen;
        public void setBody(ByteBuffer b) { chosen = "ByteBuffer"; }
        public void setBody(String s) { chosen = "String:" + s; }
    }

    public enum Color { RED, GREEN }

    public static class Shapes {
        public Map<String, List<Integer>> groups;
        public int[] sizes;
        public Color color;
        public boolean on;
        public long big;
        public byte[] data;
        public Date when;
    }

    public static class FieldsOnly {
        private String name;
        private int count;
        public String describe() { return name + "/" + count; }
    }

    @Retention(RetentionPolicy.RUNTIME)
    public @interface Named { String value(); }

    public static class Point {
        private final int x;
        private final int y;
        public Point(@Named("x") int x, @Named("y") int y) { this.x = x; this.y = y; }
        public int getX() { return x; }
        public int getY() { return y; }
    }

    public static class Quantity { public int q; }

    public static class Answer {
        public String getURL() { return "http://x"; }
        public Boolean getIsBase64Encoded() { return true; }
        public boolean isActive() { return true; }
        public String getNothing() { return null; }
        public int getStatusCode() { return 201; }
    }

    public abstract static class Generic<E> {
        public String handleRequest(E event) { return event.getClass().getSimpleName(); }
    }

    public static class QuantityGeneric extends Generic<Quantity> {}

    /** Shaped like KafkaEvent's records: header values are bytes, given as arrays of numbers. */
    public static class KafkaLike {
        private List<Map<String, byte[]>> headers;
        public List<Map<String, byte[]>> getHeaders() { return headers; }
        public void setHeaders(List<Map<String, byte[]>> h) { headers = h; }
    }

    /** Shaped like LexEvent: its Bot is a non-static inner class. */
    public static class LexLike {
        private Bot bot;
        public Bot getBot() { return bot; }
        public void setBot(Bot b) { bot = b; }

        public class Bot {
            private String name;
            public String getName() { return name; }
            public void setName(String n) { name = n; }
            public LexLike owner() { return LexLike.this; }
        }
    }

    private static Object bind(String json, Type type) {
        return Binder.bindEvent(Json.parse(json), type);
    }

    public static void main(String[] args) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        Queue q = (Queue) bind("{\"Records\":[{\"messageId\":\"m1\",\"eventSourceARN\":\"arn:x\",\"attributes\":{\"a\":\"1\"},\"md5OfBody\":\"ignored\"}]}", Queue.class);
        out.put("caseInsensitive", Json.parse(Json.write(q)));
        out.put("overload", ((Overloaded) bind("{\"body\":\"hi\"}", Overloaded.class)).chosen);
        Shapes s = (Shapes) bind("{\"groups\":{\"a\":[1,2]},\"sizes\":[3,4],\"color\":\"green\",\"on\":\"true\",\"big\":\"12\",\"data\":\"aGk=\",\"when\":1700000000123}", Shapes.class);
        out.put("shapes", Json.parse(Json.write(s)));
        out.put("groupElement", s.groups.get("a").get(1).getClass().getSimpleName());
        out.put("bytes", new String(s.data, StandardCharsets.UTF_8));
        StreamChange change = (StreamChange) bind("{\"ApproximateCreationDateTime\":1479499740}", StreamChange.class);
        out.put("eventDateMs", change.getApproximateCreationDateTime().getTime());
        out.put("eventDateWritten", Json.parse(Json.write(change)));
        StreamChange keyed = (StreamChange) bind("{\"Keys\":{\"id\":{\"S\":\"1\"}},\"ApproximateCreationDateTime\":1479499740}", StreamChange.class);
        out.put("eventDateAfterText", keyed.getApproximateCreationDateTime().getTime() + " " + keyed.getKeys());
        out.put("fieldsOnly", ((FieldsOnly) bind("{\"name\":\"n\",\"count\":3}", FieldsOnly.class)).describe());
        Point p = (Point) bind("{\"x\":1,\"y\":2}", Point.class);
        out.put("namedConstructor", p.getX() + "," + p.getY());
        try {
            bind("{\"q\":{\"a\":1}}", Quantity.class);
            out.put("error", "none");
        } catch (IllegalArgumentException e) {
            out.put("error", e.getMessage());
        }
        out.put("naming", Json.parse(Json.write(new Answer())));
        out.put("stringOfObject", bind("{\"a\":[1,true,null]}", String.class));
        Object numbers = Json.parse("[1, 3000000000, 123456789012345678901234567890, 1.5, \"\\u00e9\\n\"]");
        StringBuilder types = new StringBuilder();
        for (Object n : (List<?>) numbers) types.append(n.getClass().getSimpleName()).append(' ');
        out.put("numberTypes", types.toString().trim());
        out.put("escapes", ((List<?>) numbers).get(4));
        try {
            Json.parse("{\"a\": [1, 2}");
            out.put("badJson", "none");
        } catch (IllegalArgumentException e) {
            out.put("badJson", e.getMessage());
        }
        S3Event s3 = (S3Event) bind("{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"awsRegion\":\"us-east-1\",\"eventTime\":\"2026-12-07T07:00:00.000Z\",\"eventName\":\"ObjectCreated:Put\","
            + "\"userIdentity\":{\"principalId\":\"esb\"},\"requestParameters\":{\"sourceIPAddress\":\"127.0.0.1\"},\"responseElements\":{\"x-amz-request-id\":\"R1\",\"x-amz-id-2\":\"I2\"},"
            + "\"s3\":{\"s3SchemaVersion\":\"1.0\",\"configurationId\":\"c\",\"bucket\":{\"name\":\"photos\",\"ownerIdentity\":{\"principalId\":\"esb\"},\"arn\":\"arn:aws:s3:::photos\"},"
            + "\"object\":{\"key\":\"a%20b.jpg\",\"size\":1024,\"eTag\":\"e\",\"sequencer\":\"0A\"}}}]}", S3Event.class);
        S3EventNotificationRecord r = s3.getRecords().get(0);
        out.put("s3Event", r.getEventName() + " " + r.getEventTime() + " " + r.getS3().getBucket().getName() + "/" + r.getS3().getObject().getKey() + " " + r.getS3().getObject().getSizeAsLong() + " " + r.getResponseElements().getxAmzRequestId());
        java.lang.reflect.Method inherited = QuantityGeneric.class.getMethod("handleRequest", Object.class);
        Type resolved = Binder.resolve(inherited.getGenericParameterTypes()[0], QuantityGeneric.class);
        out.put("inheritedInput", inherited.invoke(new QuantityGeneric(), bind("{\"q\":4}", resolved)));
        KafkaLike kafka = (KafkaLike) bind("{\"headers\":[{\"headerKey\":[104,101,97,100,-61,-87]}]}", KafkaLike.class);
        out.put("headerBytes", new String(kafka.getHeaders().get(0).get("headerKey"), StandardCharsets.UTF_8));
        try {
            bind("{\"headers\":[{\"k\":[1,\"x\"]}]}", KafkaLike.class);
            out.put("badByte", "none");
        } catch (IllegalArgumentException e) {
            out.put("badByte", e.getMessage());
        }
        LexLike lex = (LexLike) bind("{\"bot\":{\"name\":\"OrderFlowers\"}}", LexLike.class);
        out.put("innerClass", lex.getBot().getName() + " " + (lex.getBot().owner() == lex));
        System.out.println(Json.write(out));
    }
}
