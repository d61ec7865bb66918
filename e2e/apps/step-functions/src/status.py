# Reads the workflow back: GET /shop/orders/{id} is the saved order, GET /shop/executions?arn=... the
# execution (boto3's Step Functions client) with the types of its history events.
import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])
sfn = boto3.client("stepfunctions")


def answer(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body, default=str)}


def handler(event, context):
    if event["resource"] == "/shop/orders/{id}":
        item = table.get_item(Key={"id": event["pathParameters"]["id"]}).get("Item")
        return answer(200, item) if item else answer(404, {"message": "no such order"})
    arn = (event.get("queryStringParameters") or {}).get("arn")
    try:
        execution = sfn.describe_execution(executionArn=arn)
    except sfn.exceptions.ExecutionDoesNotExist:
        return answer(404, {"message": "no such execution"})
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    listed = sfn.list_executions(stateMachineArn=os.environ["ORDER_FLOW_ARN"])["executions"]
    return answer(
        200,
        {
            "status": execution["status"],
            "output": json.loads(execution["output"]) if "output" in execution else None,
            "error": execution.get("error"),
            "cause": execution.get("cause"),
            "events": [e["type"] for e in history],
            "listed": any(e["executionArn"] == arn for e in listed),
        },
    )
