import json
import os

import boto3

orders = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


def handler(event, context):
    # Through SAM's SqsSubscription: SQS records whose body is SNS's envelope.
    for record in event["Records"]:
        envelope = json.loads(record["body"])
        order = json.loads(envelope["Message"])
        orders.put_item(Item={"id": f"ledger-{order['id']}", "type": envelope["Type"], "topic": envelope["TopicArn"].split(":")[-1].split("-")[-1]})
