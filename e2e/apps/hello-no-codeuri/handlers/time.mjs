// A function whose CodeUri is this one file (sam deploy zips it alone).
import { readdirSync } from 'node:fs';

export const handler = async () => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  // The package holds this file and nothing else of the folder.
  body: JSON.stringify({ package: readdirSync(process.env.LAMBDA_TASK_ROOT).sort() }),
});
