# boto3 clients as a handler on AWS writes them: no endpoint in code. boto3 finds the local
# services through AWS_ENDPOINT_URL_<SERVICE>, which esb sets in every instance.
import boto3
from botocore.config import Config


def client(service):
    # Path-style S3 addressing: a local S3 server has no per-bucket DNS names.
    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3})
    return boto3.client(service, config=config)


def response(status, body):
    import json

    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
