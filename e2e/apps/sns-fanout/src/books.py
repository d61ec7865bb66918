import json
import os

import boto3

orders = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


def handler(event, context):
    # A direct subscription: the SNS record itself, filtered to books by the subscription.
    for record in event["Records"]:
        sns = record["Sns"]
        order = json.loads(sns["Message"])
        orders.put_item(Item={"id": f"book-{order['id']}", "subject": sns["Subject"], "kind": sns["MessageAttributes"]["kind"]["Value"]})
