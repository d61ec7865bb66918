import json
import os


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"which": os.environ["WHICH"], "function": context.function_name})}
