'use strict';
const AWS = require('aws-sdk');

const s3 = new AWS.S3({ signatureVersion: 'v4' });

exports.handler = async (event) => {
  const Key = event.pathParameters.key;
  const Bucket = process.env.FILES_BUCKET;
  if (event.httpMethod === 'PUT') {
    await s3.putObject({ Bucket, Key, Body: event.body, ContentType: 'text/plain' }).promise();
    return { statusCode: 201, body: JSON.stringify({ key: Key }) };
  }
  const url = s3.getSignedUrl('getObject', { Bucket, Key, Expires: 300 });
  return { statusCode: 200, body: JSON.stringify({ url }) };
};
