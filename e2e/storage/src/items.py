import json
import os

from clients import client, response

ddb = client("dynamodb")
TABLE = os.environ["TABLE_NAME"]


def handler(event, context):
    params = event.get("pathParameters") or {}
    owner = params["owner"]
    method = event["httpMethod"]
    if method == "PUT":
        body = json.loads(event.get("body") or "{}")
        ddb.put_item(TableName=TABLE, Item={"owner": {"S": owner}, "id": {"S": params["id"]}, "text": {"S": body.get("text", "")}})
        return response(201, {"owner": owner, "id": params["id"]})
    if "id" in params:
        got = ddb.get_item(TableName=TABLE, Key={"owner": {"S": owner}, "id": {"S": params["id"]}}).get("Item")
        if not got:
            return response(404, {"message": "not found"})
        return response(200, {"owner": got["owner"]["S"], "id": got["id"]["S"], "text": got["text"]["S"]})
    out = ddb.query(
        TableName=TABLE,
        KeyConditionExpression="#o = :o",
        ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": {"S": owner}},
    )
    return response(200, {"table": TABLE, "ids": [i["id"]["S"] for i in out["Items"]]})
