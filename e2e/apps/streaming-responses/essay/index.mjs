// Behind a REST API whose integration streams (responseTransferMode: STREAM, as
// apigw-lambda-bedrock-sam-node does): newline-delimited JSON events, written one by one.
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const { message } = JSON.parse(event.body ?? '{}');
  responseStream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: { 'Content-Type': 'application/x-ndjson' } });
  for (const word of String(message).split(' ')) {
    responseStream.write(`${JSON.stringify({ type: 'delta', text: word })}\n`);
    await new Promise((r) => setTimeout(r, 10));
  }
  responseStream.end(`${JSON.stringify({ type: 'done' })}\n`);
});
