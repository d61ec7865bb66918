import os

import boto3

audit = boto3.resource("dynamodb").Table(os.environ["AUDIT_TABLE"])


def handler(event, context):
    failures = []
    for record in event["Records"]:
        if record["eventName"] != "REMOVE":
            # The filter lets removals through only: anything else is reported as failed.
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
            continue
        audit.update_item(Key={"id": "removals"}, UpdateExpression="ADD #c :one", ExpressionAttributeNames={"#c": "count"}, ExpressionAttributeValues={":one": 1})
    return {"batchItemFailures": failures}
