# Keeps each event the items pipe put on the bus (the rule invokes this function).
import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["RECORDS_TABLE"])


def handler(event, context):
    table.put_item(
        Item={
            "id": "bus-%s" % event["detail"]["id"],
            "source": event["source"],
            "detailType": event["detail-type"],
            "detail": json.dumps(event["detail"], sort_keys=True),
        }
    )
