import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"status": "ok", "version": event["version"]})}


def authorize(event, context):
    return {"isAuthorized": event["headers"].get("x-status-key") == "open-sesame"}
