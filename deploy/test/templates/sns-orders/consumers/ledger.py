import json


def lambda_handler(event, context):
    # Each SQS message is SNS's envelope: the order is its Message.
    for record in event["Records"]:
        envelope = json.loads(record["body"])
        print(f"ledger: {envelope['Message']}")
