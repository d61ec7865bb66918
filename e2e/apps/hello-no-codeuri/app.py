import json


def handler(event, context):
    word = (event.get("pathParameters") or {}).get("word")
    body = {"app": "hello-no-codeuri", "echo": word} if word else {"app": "hello-no-codeuri", "message": "hello"}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
