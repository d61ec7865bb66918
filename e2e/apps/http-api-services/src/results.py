import json
import os

import boto3

results = boto3.resource("dynamodb").Table(os.environ["RESULTS_TABLE"])


def work(event, context):
    # POST /jobs: the request body, sent to the queue by the API itself.
    for record in event["Records"]:
        job = json.loads(record["body"])
        priority = record["messageAttributes"].get("priority", {}).get("stringValue", "")
        results.put_item(Item={"id": f"job-{job['id']}", "priority": priority})


def listen(event, context):
    # POST /events: the body's Detail, put on the default bus by the API itself.
    results.put_item(Item={"id": f"event-{event['detail']['id']}", "detailType": event["detail-type"], "source": event["source"]})


def report(event, context):
    items = sorted(results.scan()["Items"], key=lambda i: i["id"])
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps({"results": items}, default=str)}
