def handler(event, context):
    ok = event.get("authorizationToken") == "Bearer reader"
    return {
        "principalId": "reader",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow" if ok else "Deny", "Resource": event["methodArn"]}],
        },
    }
