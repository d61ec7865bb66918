import json
import os

import boto3

orders = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


def handler(event, context):
    # The rule's InputPath ($.detail): each message body is the order itself.
    for record in event["Records"]:
        order = json.loads(record["body"])
        orders.put_item(Item={"id": f"audit-{order['id']}", "item": order["item"], "total": str(order["total"])})
