# Keeps each destination record it gets: directly (an on-success Lambda destination), through the
# topic (on-failure SNS) or through the bus's rule (on-success EventBridge).
import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["RESULTS_TABLE"])


def keep(via, record):
    ctx = record["requestContext"]
    table.put_item(
        Item={
            "id": "%s-%s" % (via, record["requestPayload"]["id"]),
            "condition": ctx["condition"],
            "function": ctx["functionArn"].split(":")[6],
            "response": json.dumps(record["responsePayload"], sort_keys=True),
        }
    )


def handler(event, context):
    if "Records" in event:
        for r in event["Records"]:
            keep("sns", json.loads(r["Sns"]["Message"]))
    elif event.get("source") == "lambda":
        keep("eventbridge", event["detail"])
    else:
        keep("lambda", event)
