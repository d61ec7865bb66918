import json
import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


def create(event, context):
    order = json.loads(event["body"])
    TABLE.put_item(Item=order)
    return {"statusCode": 201, "body": json.dumps(order)}


def get(event, context):
    key = {"pk": event["pathParameters"]["orderId"], "sk": "order"}
    item = TABLE.get_item(Key=key).get("Item")
    return {"statusCode": 200 if item else 404, "body": json.dumps(item, default=str)}


def on_change(event, context):
    return {"records": len(event["Records"])}
