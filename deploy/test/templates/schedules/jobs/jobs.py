def cleanup(event, context):
    return {"cleaned": event.get("mode", "default")}


def report(event, context):
    return {"report": "ok"}
