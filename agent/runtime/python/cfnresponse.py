# The `cfnresponse` module Lambda gives inline (ZipFile) Python code of custom resources:
# send(event, context, status, data, physicalResourceId, noEcho, reason) PUTs the answer to the
# request's ResponseURL (docs/provisioner.md "Custom resources"). Standard library only, so it
# works without urllib3 too.
import json
import urllib.request

SUCCESS = "SUCCESS"
FAILED = "FAILED"


def send(event, context, responseStatus, responseData, physicalResourceId=None, noEcho=False, reason=None):
    responseUrl = event["ResponseURL"]
    print(responseUrl)
    responseBody = {
        "Status": responseStatus,
        "Reason": reason or "See the details in CloudWatch Log Stream: {}".format(context.log_stream_name),
        "PhysicalResourceId": physicalResourceId or context.log_stream_name,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": noEcho,
        "Data": responseData,
    }
    json_responseBody = json.dumps(responseBody)
    print("Response body:")
    print(json_responseBody)
    data = json_responseBody.encode("utf-8")
    request = urllib.request.Request(responseUrl, data=data, method="PUT", headers={"content-type": "", "content-length": str(len(data))})
    try:
        with urllib.request.urlopen(request) as response:
            print("Status code:", response.status)
    except Exception as e:
        print("send(..) failed executing http.request(..):", e)
