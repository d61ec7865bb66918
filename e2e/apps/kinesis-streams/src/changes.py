# Each change of the orders table, as DynamoDB puts it to the changes stream, kept in the clicks table.
import base64
import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["CLICKS_TABLE"])


def handler(event, context):
    for record in event["Records"]:
        change = json.loads(base64.b64decode(record["kinesis"]["data"]))
        order = change["dynamodb"]["Keys"]["id"]["S"]
        old = change["dynamodb"].get("OldImage", {}).get("status", {}).get("S", "-")
        new = change["dynamodb"].get("NewImage", {}).get("status", {}).get("S", "-")
        table.put_item(Item={"id": "change-" + record["kinesis"]["sequenceNumber"], "user": order, "kind": change["eventName"] + " " + old + ">" + new, "source": change["tableName"]})
