def handler(event, context):
    return {"audited": event["id"]}
