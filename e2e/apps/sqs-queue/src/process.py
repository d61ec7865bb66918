import json
import os

import boto3

orders = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


def handler(event, context):
    failures = []
    for record in event["Records"]:
        order = json.loads(record["body"])
        if order.get("item") == "poison":
            # Not taken: reported, so the rest of the batch is deleted and this one comes back.
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        orders.put_item(
            Item={
                "id": str(order["id"]),
                "item": order["item"],
                "source": record["messageAttributes"].get("source", {}).get("stringValue"),
                "queue": record["eventSourceARN"],
                "receives": record["attributes"]["ApproximateReceiveCount"],
                "batch": len(event["Records"]),
            }
        )
    return {"batchItemFailures": failures}
