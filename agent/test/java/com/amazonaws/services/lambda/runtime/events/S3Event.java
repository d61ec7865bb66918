package com.amazonaws.services.lambda.runtime.events;

import com.amazonaws.services.lambda.runtime.events.models.s3.S3EventNotification;
import java.util.ArrayList;
import java.util.List;

/** aws-lambda-java-events' S3Event: an S3EventNotification with a no-argument constructor too (BinderProbe). */
public class S3Event extends S3EventNotification {
    public S3Event() { super(new ArrayList<S3EventNotificationRecord>()); }
    public S3Event(List<S3EventNotificationRecord> records) { super(records); }
}
