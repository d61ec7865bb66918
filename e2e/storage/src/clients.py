# boto3 clients on the endpoints the agent hands to every function. Debian's boto3 (1.26)
# predates AWS_ENDPOINT_URL_<SERVICE>, so the endpoint is passed explicitly.
import os

import boto3
from botocore.config import Config


def client(service):
    endpoint = os.environ.get("AWS_ENDPOINT_URL_" + service.upper()) or os.environ.get("AWS_ENDPOINT_URL")
    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3})
    return boto3.client(service, endpoint_url=endpoint, config=config)


def response(status, body):
    import json

    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
