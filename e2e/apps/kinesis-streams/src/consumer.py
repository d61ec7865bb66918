# Writes each click of a batch to the table; a "poison" click fails the whole batch.
import base64
import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["CLICKS_TABLE"])


def handler(event, context):
    clicks = []
    for record in event["Records"]:
        click = json.loads(base64.b64decode(record["kinesis"]["data"]))
        if click.get("kind") == "poison":
            raise ValueError("poison click " + click.get("id", "?"))
        clicks.append((record, click))
    for record, click in clicks:
        table.put_item(Item={
            "id": click["id"],
            "user": click["user"],
            "kind": click.get("kind", "view"),
            "shard": record["eventID"].split(":")[0],
            "sequence": record["kinesis"]["sequenceNumber"],
            "source": record["eventSourceARN"],
        })
    return {"written": len(clicks)}
