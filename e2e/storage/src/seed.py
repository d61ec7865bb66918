# A custom resource's function: seeds the table, then answers CloudFormation by a PUT of the
# answer to the request's presigned ResponseURL.
import json
import os
import urllib.request

import boto3


def answer(event, status, data, reason=''):
    body = json.dumps({'Status': status, 'Reason': reason, 'PhysicalResourceId': 'seed-1', 'StackId': event['StackId'],
                       'RequestId': event['RequestId'], 'LogicalResourceId': event['LogicalResourceId'], 'Data': data}).encode()
    urllib.request.urlopen(urllib.request.Request(event['ResponseURL'], data=body, method='PUT', headers={'content-type': ''}))


def handler(event, context):
    try:
        text = event['ResourceProperties']['Text']
        if event['RequestType'] != 'Delete':
            boto3.resource('dynamodb').Table(os.environ['TABLE_NAME']).put_item(Item={'owner': 'seed', 'id': '1', 'text': text})
        answer(event, 'SUCCESS', {'Text': text})
    except Exception as e:
        answer(event, 'FAILED', {}, str(e))
