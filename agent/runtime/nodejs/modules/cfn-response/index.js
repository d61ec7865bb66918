// The `cfn-response` module Lambda gives inline (ZipFile) Node.js code of custom resources:
// send(event, context, status, data, physicalResourceId, noEcho, reason) PUTs the answer to the
// request's ResponseURL, then calls context.done() (docs/provisioner.md "Custom resources").
// Unlike Lambda's copy it also speaks http (esb's ResponseURL is the local S3) and returns a
// promise for async handlers.
'use strict';
const http = require('node:http');
const https = require('node:https');

exports.SUCCESS = 'SUCCESS';
exports.FAILED = 'FAILED';

exports.send = function send(event, context, responseStatus, responseData, physicalResourceId, noEcho, reason) {
  const body = JSON.stringify({
    Status: responseStatus,
    Reason: reason || `See the details in CloudWatch Log Stream: ${context.logStreamName}`,
    PhysicalResourceId: physicalResourceId || context.logStreamName,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: noEcho || false,
    Data: responseData,
  });
  console.log('Response body:\n', body);
  return new Promise((resolve) => {
    const finish = () => {
      if (typeof context.done === 'function') context.done();
      resolve();
    };
    let url;
    try {
      url = new URL(event.ResponseURL);
    } catch (err) {
      console.log(`send(..) failed executing request: ${err.message}`);
      return finish();
    }
    const client = url.protocol === 'http:' ? http : https;
    const request = client.request(url, { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } }, (response) => {
      console.log(`Status code: ${response.statusCode}`);
      response.resume();
      response.on('end', finish);
    });
    request.on('error', (err) => {
      console.log(`send(..) failed executing https.request(..): ${err.message}`);
      finish();
    });
    request.end(body);
  });
};
