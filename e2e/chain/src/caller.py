# Invokes CALLEE through the Lambda Invoke API (AWS_ENDPOINT_URL_LAMBDA: the gateway) with boto3.
import json
import os

import boto3

lam = boto3.client("lambda")  # AWS_ENDPOINT_URL_LAMBDA (set by esb) points it at the gateway


def handler(event, context):
    word = (event.get("pathParameters") or {}).get("word", "")
    out = lam.invoke(FunctionName=os.environ["CALLEE"], InvocationType="RequestResponse", Payload=json.dumps({"word": word}).encode())
    payload = json.loads(out["Payload"].read())
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"caller": context.function_name, "status": out["StatusCode"], "callee": payload}),
    }
