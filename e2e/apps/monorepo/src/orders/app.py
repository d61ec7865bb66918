import json

from money import format_cents


def lambda_handler(event, context):
    order_id = event["pathParameters"]["id"]
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"order": order_id, "total": format_cents(1250)}),
    }
