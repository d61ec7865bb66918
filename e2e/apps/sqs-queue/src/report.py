import json
import os

import boto3

orders = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])
sqs = boto3.client("sqs")


def respond(body):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body, default=str)}


def handler(event, context):
    if event["resource"] == "/dead-letters":
        # VisibilityTimeout 0: looking does not hide them from the next look.
        r = sqs.receive_message(
            QueueUrl=os.environ["DEAD_LETTER_QUEUE_URL"],
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            VisibilityTimeout=0,
        )
        return respond(
            {"deadLetters": [{"order": json.loads(m["Body"]), "receives": m["Attributes"]["ApproximateReceiveCount"]} for m in r.get("Messages", [])]}
        )
    return respond({"orders": sorted(orders.scan()["Items"], key=lambda i: i["id"])})
