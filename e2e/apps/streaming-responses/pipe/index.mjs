// A big body piped to the response (as lambda-streaming-ttfb-pipeline-sam does): 2 MB, more than
// one write, with the default content type.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export const handler = awslambda.streamifyResponse(async (_event, responseStream) => {
  await pipeline(Readable.from(Buffer.alloc(2 * 1024 * 1024, 'ab')), responseStream);
});
