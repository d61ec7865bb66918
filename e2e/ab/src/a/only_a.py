import json


def handler(event, context):
    name = (event.get("pathParameters") or {}).get("name", "")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"from": "A", "name": name, "function": context.function_name}),
    }
