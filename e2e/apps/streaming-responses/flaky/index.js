// Writes words, then fails mid-stream (as the midstream-error function of lambda-streaming-sdk-sam).
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  for (const word of ['this', 'function', 'streams']) {
    responseStream.write(`${word} `);
    await new Promise((r) => setTimeout(r, 20));
  }
  if (event.keepGoing) {
    responseStream.end('and ends');
    return;
  }
  throw new Error('a custom error mid-stream');
});
