// CommonJS, no package.json: the SDK is the runtime's, document client and uploader included.
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, PutCommand, GetCommand } = require('@aws-sdk/lib-dynamodb');
const { S3Client } = require('@aws-sdk/client-s3');
const { Upload } = require('@aws-sdk/lib-storage');

const docs = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const s3 = new S3Client({ forcePathStyle: true });

exports.handler = async (event) => {
  if (event.httpMethod === 'POST') {
    const item = JSON.parse(event.body);
    await docs.send(new PutCommand({ TableName: process.env.TABLE, Item: { ...item, tags: new Set(item.tags ?? []) } }));
    await new Upload({ client: s3, params: { Bucket: process.env.BUCKET, Key: `items/${item.id}.json`, Body: event.body } }).done();
    return { statusCode: 201, body: JSON.stringify({ stored: item.id }) };
  }
  const { Item } = await docs.send(new GetCommand({ TableName: process.env.TABLE, Key: { id: event.pathParameters.id } }));
  if (!Item) return { statusCode: 404, body: JSON.stringify({ message: 'no such item' }) };
  return { statusCode: 200, body: JSON.stringify({ ...Item, tags: [...Item.tags].sort() }) };
};
