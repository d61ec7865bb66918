const zlib = require('node:zlib');

// What a subscription hands over: awslogs.data, gzipped JSON in base64.
exports.handler = async (event) => {
  const batch = JSON.parse(zlib.gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8'));
  for (const e of batch.logEvents) {
    const line = e.message.slice(e.message.indexOf('{'));
    if (line.startsWith('{')) console.log(`GOT ${batch.logGroup} ${batch.subscriptionFilters[0]} ${line}`);
  }
};
