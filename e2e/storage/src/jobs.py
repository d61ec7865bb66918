import base64
import json
import os

from clients import client, response

sqs = client("sqs")
events = client("events")
sns = client("sns")
sfn = client("stepfunctions")
kinesis = client("kinesis")
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


def announce(event, context):
    # BUS_NAME is the template's !Ref JobsBus; PutEvents goes to esb's bus through AWS_ENDPOINT_URL_EVENTBRIDGE.
    job_id = event["pathParameters"]["id"]
    out = events.put_events(Entries=[{"EventBusName": os.environ["BUS_NAME"], "Source": "e2e.jobs", "DetailType": "JobAnnounced", "Detail": json.dumps({"id": job_id, "text": event.get("body") or ""})}])
    return response(202, {"announced": job_id, "failed": out["FailedEntryCount"]})


def listen(event, context):
    # The rule's InputPath ($.detail): the event's detail itself.
    ddb.put_item(TableName=TABLE, Item={"owner": {"S": "announced"}, "id": {"S": event["id"]}, "text": {"S": event["text"]}})


def notice(event, context):
    # TOPIC_ARN is the template's !Ref NoticesTopic; Publish goes to esb through AWS_ENDPOINT_URL_SNS.
    notice_id = event["pathParameters"]["id"]
    urgent = "yes" if (event.get("queryStringParameters") or {}).get("urgent") else "no"
    sns.publish(TopicArn=os.environ["TOPIC_ARN"], Message=json.dumps({"id": notice_id, "text": event.get("body") or ""}), MessageAttributes={"urgent": {"DataType": "String", "StringValue": urgent}})
    return response(202, {"published": notice_id, "urgent": urgent})


def read_notice(event, context):
    # The subscription's filter policy lets urgent notices through only.
    for record in event["Records"]:
        notice = json.loads(record["Sns"]["Message"])
        ddb.put_item(TableName=TABLE, Item={"owner": {"S": "noticed"}, "id": {"S": notice["id"]}, "text": {"S": notice["text"]}})


def review(event, context):
    # REVIEW_FLOW is the template's !Ref ReviewFlow, an Express machine run synchronously: boto3
    # sends StartSyncExecution to sync-<endpoint host>, which esb's runtime makes find the host.
    review_id = event["pathParameters"]["id"]
    out = sfn.start_sync_execution(stateMachineArn=os.environ["REVIEW_FLOW"], input=json.dumps({"id": review_id, "text": event.get("body") or ""}))
    return response(200, {"status": out["status"], "output": json.loads(out["output"]) if "output" in out else None, "error": out.get("error")})


def track(event, context):
    # STREAM_NAME is the template's !Ref ClicksStream; PutRecord goes to the queues service through AWS_ENDPOINT_URL_KINESIS.
    click_id = event["pathParameters"]["id"]
    out = kinesis.put_record(StreamName=os.environ["STREAM_NAME"], PartitionKey=click_id, Data=json.dumps({"id": click_id, "text": event.get("body") or ""}).encode())
    return response(200, {"shard": out["ShardId"], "sequence": out["SequenceNumber"]})


def count(event, context):
    # The queues service posts each record to the agent, which hands the stream's batches here.
    for record in event["Records"]:
        click = json.loads(base64.b64decode(record["kinesis"]["data"]))
        ddb.put_item(TableName=TABLE, Item={"owner": {"S": "clicked"}, "id": {"S": click["id"]}, "text": {"S": click["text"] + " @" + record["kinesis"]["sequenceNumber"]}})


def shout(event, context):
    return event["text"].upper()
