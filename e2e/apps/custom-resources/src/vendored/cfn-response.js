// A copy of the answering helper as apps vendor AWS's cfn-response module for Node: it PUTs to
// the ResponseURL's host and path over https, port 443, whatever the URL's scheme and port say.
const https = require('https');

exports.SUCCESS = 'SUCCESS';
exports.FAILED = 'FAILED';

exports.send = (event, context, status, data, physicalResourceId) =>
  new Promise((resolve, reject) => {
    const body = JSON.stringify({
      Status: status,
      Reason: `See the details in CloudWatch Log Stream: ${context.logStreamName}`,
      PhysicalResourceId: physicalResourceId || context.logStreamName,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      Data: data,
    });
    const url = new URL(event.ResponseURL);
    const request = https.request(
      { hostname: url.hostname, port: 443, path: url.pathname + url.search, method: 'PUT', headers: { 'content-type': '', 'content-length': body.length } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
      },
    );
    request.on('error', reject);
    request.write(body);
    request.end();
  });
