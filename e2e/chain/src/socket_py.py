# Answers on the caller's connection through the Management API (boto3), at MANAGEMENT_ENDPOINT.
import json
import os

import boto3

client = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["MANAGEMENT_ENDPOINT"])


def handler(event, context):
    connection_id = event["requestContext"]["connectionId"]
    info = client.get_connection(ConnectionId=connection_id)
    text = json.loads(event["body"])["text"]
    client.post_to_connection(ConnectionId=connection_id, Data=f"python: {text} ({info['Identity']['SourceIp'] != ''})".encode())
    return {"statusCode": 200}
