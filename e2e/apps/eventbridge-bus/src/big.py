import json
import os

import boto3

orders = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])
events = boto3.client("events")


def handler(event, context):
    # The input transformer's output, not the event.
    orders.put_item(Item={"id": f"big-{event['orderId']}", "total": str(event["total"]), "rule": event["rule"], "note": event["note"]})
    events.put_events(Entries=[{"Source": "shop.review", "DetailType": "BigOrderFlagged", "Detail": json.dumps({"orderId": event["orderId"]})}])
