package com.amazonaws.services.lambda.runtime.events.models.s3;

import java.util.List;

/**
 * The constructors of aws-lambda-java-events' S3 event classes (their only way in: no setters, no
 * parameter names at run time), for BinderProbe. Getters only where the probe reads.
 */
public class S3EventNotification {
    private final List<S3EventNotificationRecord> records;

    public S3EventNotification(List<S3EventNotificationRecord> records) { this.records = records; }
    public List<S3EventNotificationRecord> getRecords() { return records; }

    public static class S3EventNotificationRecord {
        private final String eventName;
        private final String eventTime;
        private final S3Entity s3;
        private final ResponseElementsEntity responseElements;

        public S3EventNotificationRecord(String awsRegion, String eventName, String eventSource, String eventTime, String eventVersion,
                                         RequestParametersEntity requestParameters, ResponseElementsEntity responseElements, S3Entity s3,
                                         UserIdentityEntity userIdentity) {
            this.eventName = eventName;
            this.eventTime = eventTime;
            this.s3 = s3;
            this.responseElements = responseElements;
        }
        public String getEventName() { return eventName; }
        public String getEventTime() { return eventTime; }
        public S3Entity getS3() { return s3; }
        public ResponseElementsEntity getResponseElements() { return responseElements; }
    }

    public static class S3Entity {
        private final S3BucketEntity bucket;
        private final S3ObjectEntity object;

        public S3Entity(String configurationId, S3BucketEntity bucket, S3ObjectEntity object, String s3SchemaVersion) {
            this.bucket = bucket;
            this.object = object;
        }
        public S3BucketEntity getBucket() { return bucket; }
        public S3ObjectEntity getObject() { return object; }
    }

    public static class S3BucketEntity {
        private final String name;

        public S3BucketEntity(String name, UserIdentityEntity ownerIdentity, String arn) { this.name = name; }
        public String getName() { return name; }
    }

    public static class S3ObjectEntity {
        private final String key;
        private final Long size;

        @Deprecated
        public S3ObjectEntity(String key, Integer size, String eTag, String versionId) { this(key, size == null ? null : size.longValue(), eTag, versionId, null); }

        public S3ObjectEntity(String key, Long size, String eTag, String versionId, String sequencer) {
            this.key = key;
            this.size = size;
        }
        public String getKey() { return key; }
        public Long getSizeAsLong() { return size; }
    }

    public static class UserIdentityEntity {
        public UserIdentityEntity(String principalId) {}
    }

    public static class RequestParametersEntity {
        public RequestParametersEntity(String sourceIPAddress) {}
    }

    public static class ResponseElementsEntity {
        private final String xAmzRequestId;

        public ResponseElementsEntity(String xAmzId2, String xAmzRequestId) { this.xAmzRequestId = xAmzRequestId; }
        public String getxAmzRequestId() { return xAmzRequestId; }
    }
}
