import json
import os

import boto3

orders = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


def handler(event, context):
    items = sorted(orders.scan()["Items"], key=lambda i: i["id"])
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps({"orders": items}, default=str)}
