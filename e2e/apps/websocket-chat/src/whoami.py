"""Answers with what the Management API knows of the caller's connection (a two-way route)."""
import json
import os

import boto3

client = boto3.client("apigatewaymanagementapi", endpoint_url=os.environ["MANAGEMENT_ENDPOINT"])


def handler(event, context):
    connection_id = event["requestContext"]["connectionId"]
    info = client.get_connection(ConnectionId=connection_id)
    return {
        "statusCode": 200,
        "body": json.dumps(
            {
                "connectionId": connection_id,
                "user": event["requestContext"]["authorizer"]["user"],
                "sourceIp": info["Identity"]["SourceIp"],
                "connectedAt": info["ConnectedAt"].isoformat(),
            }
        ),
    }
