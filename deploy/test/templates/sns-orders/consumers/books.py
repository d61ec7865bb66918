import json


def lambda_handler(event, context):
    for record in event["Records"]:
        order = json.loads(record["Sns"]["Message"])
        print(f"book order {order.get('id')}: {order.get('total')}")
