import json

BOOKS = {"1": {"id": "1", "title": "Dune"}}


def handler(event, context):
    if event["resource"] == "/hours":
        return {"statusCode": 200, "body": json.dumps({"open": "9-17"})}
    book_id = (event.get("pathParameters") or {}).get("id")
    if book_id is None:
        body = list(BOOKS.values())
    else:
        body = dict(BOOKS.get(book_id, {"id": book_id, "title": None}), reader=event["requestContext"]["authorizer"]["principalId"])
    return {"statusCode": 200, "body": json.dumps(body)}
