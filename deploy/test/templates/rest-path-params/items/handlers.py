import json


def get_item(event, context):
    item_id = (event.get("pathParameters") or {}).get("id")
    return {"statusCode": 200, "body": json.dumps({"id": item_id})}


def put_item(event, context):
    return {"statusCode": 204, "body": ""}
