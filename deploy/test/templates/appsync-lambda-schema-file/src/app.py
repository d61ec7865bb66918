import os
import uuid

import boto3


def lambda_handler(event, context):
    # A direct Lambda resolver gets the field's arguments as event["arguments"].
    sfn = boto3.client("stepfunctions")
    run = sfn.start_execution(stateMachineArn=os.environ["STATE_MACHINE_ARN"], input="{}")
    return {"id": str(uuid.uuid4()), "executionArn": run["executionArn"], "guest": event["arguments"]["guest"]}
