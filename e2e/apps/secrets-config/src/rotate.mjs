// POST /cfg-rotate: puts a new webhook secret (PutSecretValue moves AWSCURRENT, the old value
// becomes AWSPREVIOUS); GET /cfg-rotate: both values.
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const client = new SecretsManagerClient({});
const id = process.env.WEBHOOK_SECRET_ARN;

const read = async (stage) => {
  try {
    return (await client.send(new GetSecretValueCommand({ SecretId: id, VersionStage: stage }))).SecretString;
  } catch (err) {
    if (err.name === 'ResourceNotFoundException') return null;
    throw err;
  }
};

export const handler = async (event) => {
  if (event.httpMethod === 'POST') {
    const { value } = JSON.parse(event.body || '{}');
    await client.send(new PutSecretValueCommand({ SecretId: id, SecretString: value }));
  }
  return { statusCode: 200, body: JSON.stringify({ current: await read('AWSCURRENT'), previous: await read('AWSPREVIOUS') }) };
};
