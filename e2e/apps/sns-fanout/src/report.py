import json
import os

import boto3

orders = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])
sqs = boto3.client("sqs")


def handler(event, context):
    # VisibilityTimeout 0: looking does not hide the audit messages from the next look.
    audit = sqs.receive_message(QueueUrl=os.environ["AUDIT_QUEUE_URL"], MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=0).get("Messages", [])
    body = {
        "orders": sorted(orders.scan()["Items"], key=lambda i: i["id"]),
        "audit": sorted(({"order": json.loads(m["Body"]), "kind": m["MessageAttributes"]["kind"]["StringValue"]} for m in audit), key=lambda a: a["order"]["id"]),
    }
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body, default=str)}
