import json
import os


def lambda_handler(event, context):
    if event.get('queryStringParameters', {}).get('fail') == 'yes':
        raise RuntimeError('asked to fail')
    return {
        'statusCode': 200,
        'statusDescription': '200 OK',
        'isBase64Encoded': False,
        'headers': {'Content-Type': 'application/json', 'Set-Cookie': 'seen=1'},
        'body': json.dumps({
            'path': event['path'],
            'method': event['httpMethod'],
            'query': event['queryStringParameters'],
            'proto': event['headers']['x-forwarded-proto'],
            'forwardedFor': event['headers']['x-forwarded-for'],
            'targetGroup': event['requestContext']['elb']['targetGroupArn'],
            'lbHost': os.environ['LB_HOST'],
        }),
    }
