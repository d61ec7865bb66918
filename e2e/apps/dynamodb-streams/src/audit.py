import os

import boto3

audit = boto3.resource("dynamodb").Table(os.environ["AUDIT_TABLE"])


def status(image):
    return image["status"]["S"] if image and "status" in image else None


def handler(event, context):
    for record in event["Records"]:
        change = record["dynamodb"]
        audit.put_item(
            Item={
                "id": record["eventID"],
                "sequence": change["SequenceNumber"],
                "event": record["eventName"],
                "order": change["Keys"]["id"]["S"],
                "old": status(change.get("OldImage")),
                "new": status(change.get("NewImage")),
                "source": record["eventSourceARN"].split("/stream/")[0],
            }
        )
