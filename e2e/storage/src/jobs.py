import json
import os

from clients import client, response

sqs = client("sqs")
ddb = client("dynamodb")
TABLE = os.environ["TABLE_NAME"]


def submit(event, context):
    # QUEUE_URL is the template's !Ref JobsQueue: the URL CloudFormation gives, which esb points
    # at its own SQS server.
    job_id = event["pathParameters"]["id"]
    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps({"id": job_id, "text": event.get("body") or ""}))
    return response(202, {"queued": job_id})


def work(event, context):
    for record in event["Records"]:
        job = json.loads(record["body"])
        ddb.put_item(TableName=TABLE, Item={"owner": {"S": "jobs"}, "id": {"S": job["id"]}, "text": {"S": job["text"]}})
    return {"batchItemFailures": []}
