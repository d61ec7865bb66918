// GET /cfg-secret: the generated secrets, read once at init with top-level await (as
// lambda-secretsmanager-node-sdkv3-sam does) by the ARNs the template's !Ref gave.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const client = new SecretsManagerClient({});
const secret = await client.send(new GetSecretValueCommand({ SecretId: process.env.SECRET_ARN }));
const db = await client.send(new GetSecretValueCommand({ SecretId: process.env.DB_SECRET_ARN }));

export const handler = async () => ({
  statusCode: 200,
  body: JSON.stringify({ name: secret.Name, arn: secret.ARN, password: secret.SecretString, stages: secret.VersionStages, db: JSON.parse(db.SecretString), dbName: db.Name }),
});
