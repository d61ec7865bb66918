import json
import os

import boto3

dynamodb = boto3.resource("dynamodb")
orders = dynamodb.Table(os.environ["ORDERS_TABLE"])
audit = dynamodb.Table(os.environ["AUDIT_TABLE"])


def respond(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body, default=str)}


def handler(event, context):
    if event["resource"] == "/audit":
        items = audit.scan()["Items"]
        changes = sorted((i for i in items if i["id"] != "removals"), key=lambda i: i["sequence"])
        removals = next((int(i["count"]) for i in items if i["id"] == "removals"), 0)
        return respond(200, {"changes": changes, "removals": removals})
    order_id = event["pathParameters"]["id"]
    if event["httpMethod"] == "DELETE":
        orders.delete_item(Key={"id": order_id})
        return respond(204, {})
    orders.put_item(Item={"id": order_id, "status": event["body"] or ""})
    return respond(200, {"id": order_id})
