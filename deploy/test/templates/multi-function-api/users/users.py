import json


def list(event, context):
    return {"statusCode": 200, "body": json.dumps([])}


def create(event, context):
    return {"statusCode": 201, "body": event.get("body") or "{}"}
