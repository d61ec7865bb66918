import os

from clients import client, response

s3 = client("s3")
BUCKET = os.environ["BUCKET_NAME"]


def handler(event, context):
    params = event.get("pathParameters") or {}
    method = event["httpMethod"]
    if method == "PUT":
        data = (event.get("body") or "").encode("utf-8")
        s3.put_object(Bucket=BUCKET, Key=params["name"], Body=data, ContentType="text/plain")
        return response(201, {"name": params["name"], "size": len(data)})
    if "name" in params:
        try:
            obj = s3.get_object(Bucket=BUCKET, Key=params["name"])
        except s3.exceptions.NoSuchKey:
            return response(404, {"message": "not found"})
        return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": obj["Body"].read().decode("utf-8")}
    listed = s3.list_objects_v2(Bucket=BUCKET)
    return response(200, {"bucket": BUCKET, "keys": sorted(o["Key"] for o in listed.get("Contents", []))})
