const { DynamoDBClient, ScanCommand } = require('@aws-sdk/client-dynamodb');
const { S3Client, GetObjectCommand } = require('@aws-sdk/client-s3');

const db = new DynamoDBClient({});
const s3 = new S3Client({});

exports.handler = async (event) => {
  if (event.path === '/about') {
    const { SEEDED_COUNT, CATALOG_ID, CATALOG_KEY, VENDORED_ECHO } = process.env;
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seededCount: SEEDED_COUNT, catalogId: CATALOG_ID, catalogKey: CATALOG_KEY, vendoredEcho: VENDORED_ECHO }) };
  }
  if (event.path === '/catalog') {
    const got = await s3.send(new GetObjectCommand({ Bucket: process.env.BUCKET, Key: 'catalog.json' }));
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: await got.Body.transformToString() };
  }
  const out = await db.send(new ScanCommand({ TableName: process.env.TABLE }));
  const items = out.Items.map((i) => Object.fromEntries(Object.entries(i).map(([k, v]) => [k, v.S ?? v.N ?? v.BOOL]))).sort((a, b) => a.id.localeCompare(b.id));
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(items) };
};
