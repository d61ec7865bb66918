from common import greet


def handler(event, context):
    return {"statusCode": 200, "body": greet("layers")}
