import json
import os

import boto3

table = boto3.resource('dynamodb').Table(os.environ['TABLE_NAME'])


def handler(event, context):
    user_id = event['pathParameters']['id']
    if event['httpMethod'] == 'PUT':
        table.put_item(Item={'id': user_id, 'name': json.loads(event['body'])['name']})
        return {'statusCode': 201, 'body': json.dumps({'id': user_id})}
    item = table.get_item(Key={'id': user_id}).get('Item')
    if not item:
        return {'statusCode': 404, 'body': json.dumps({'message': 'no such user'})}
    return {'statusCode': 200, 'body': json.dumps(item)}
