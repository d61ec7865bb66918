# GET /clicks: the table; GET /shards: every record of every shard through GetRecords;
# GET /failed: the failed-batch records in the queue; PUT /order-status/{id}: an order's status.
import base64
import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["CLICKS_TABLE"])
kinesis = boto3.client("kinesis")
sqs = boto3.client("sqs")


def answer(body):
    return {"statusCode": 200, "body": json.dumps(body, default=str)}


def handler(event, context):
    path = event["path"]
    if path == "/clicks":
        return answer(sorted(table.scan()["Items"], key=lambda i: i["id"]))
    if path == "/shards":
        stream = os.environ["STREAM_NAME"]
        summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
        shards = {}
        for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
            iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            records = kinesis.get_records(ShardIterator=iterator, Limit=1000)["Records"]
            shards[shard["ShardId"]] = [{"key": r["PartitionKey"], "data": json.loads(r["Data"])} for r in records]
        return answer({"status": summary["StreamStatus"], "retention": summary["RetentionPeriodHours"], "shards": shards})
    if event["resource"] == "/order-status/{id}":
        boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"]).put_item(Item={"id": event["pathParameters"]["id"], "status": json.loads(event["body"])["status"]})
        return answer({"ok": True})
    if path == "/failed":
        got = sqs.receive_message(QueueUrl=os.environ["FAILED_QUEUE_URL"], MaxNumberOfMessages=10, WaitTimeSeconds=0)
        return answer([json.loads(m["Body"]) for m in got.get("Messages", [])])
    return {"statusCode": 404, "body": "{}"}
