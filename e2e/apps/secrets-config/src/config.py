# GET /cfg-config: every parameter under the stack's path (GetParametersByPath, recursive, paged),
# and the feature flags' StringList read by name.
import json
import os

import boto3

ssm = boto3.client("ssm")


def handler(event, context):
    path = os.environ["CONFIG_PATH"]
    values = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=path, Recursive=True, WithDecryption=True):
        for p in page["Parameters"]:
            values[p["Name"][len(path) + 1 :]] = p["Value"]
    features = ssm.get_parameter(Name=os.environ["FEATURES_PARAMETER"])["Parameter"]
    refs = {"host": os.environ["DB_HOST"], "url": os.environ["DB_URL"], "platform": os.environ["PLATFORM"], "firstZone": os.environ["FIRST_ZONE"]}
    return {"statusCode": 200, "body": json.dumps({"values": values, "features": features["Value"].split(","), "type": features["Type"], "refs": refs})}
