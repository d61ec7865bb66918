# Charges an order. A "flaky" order fails its first attempt with TransientError, which the
# state machine retries; the attempts are counted in the table so that any instance sees them.
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


class TransientError(Exception):
    pass


def handler(event, context):
    counted = table.update_item(
        Key={"id": "charge-" + event["id"]},
        UpdateExpression="ADD attempts :one",
        ExpressionAttributeValues={":one": 1},
        ReturnValues="UPDATED_NEW",
    )
    attempts = int(counted["Attributes"]["attempts"])
    if event.get("flaky") and attempts == 1:
        raise TransientError("the card network is busy")
    return {"chargeId": "ch-" + event["id"], "attempts": attempts}
