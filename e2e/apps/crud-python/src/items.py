import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def respond(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def list_items(event, context):
    items = table.scan()["Items"]
    return respond(200, sorted(items, key=lambda i: i["id"]))


def put_item(event, context):
    item = json.loads(event["body"] or "{}")
    if "id" not in item:
        return respond(400, {"message": "id is required"})
    table.put_item(Item=item)
    return respond(201, item)


def item(event, context):
    key = {"id": event["pathParameters"]["id"]}
    if event["httpMethod"] == "DELETE":
        table.delete_item(Key=key)
        return respond(204, {})
    found = table.get_item(Key=key).get("Item")
    return respond(200, found) if found else respond(404, {"message": "not found"})
