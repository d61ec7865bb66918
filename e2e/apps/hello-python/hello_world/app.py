import json


def lambda_handler(event, context):
    return {
        "statusCode": 200,
        "body": json.dumps({"message": "hello world", "app": "hello-python", "function": context.function_name}),
    }
