# Reads the FIFO queue the clicks pipe fills: keeps each click and, per message group, the order
# the clicks came in.
import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["RECORDS_TABLE"])


def handler(event, context):
    for r in event["Records"]:
        message = json.loads(r["body"])
        click = message["click"]
        group = r["attributes"]["MessageGroupId"]
        table.put_item(Item={"id": "click-%s" % click["id"], "user": message["user"], "group": group, "kind": click["kind"]})
        table.update_item(
            Key={"id": "group-%s" % group},
            UpdateExpression="SET clicks = list_append(if_not_exists(clicks, :none), :one)",
            ExpressionAttributeValues={":none": [], ":one": [click["id"]]},
        )
