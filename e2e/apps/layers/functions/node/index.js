// No package.json here: `ms` comes from the layer (/opt/nodejs/node_modules).
const ms = require('ms');

exports.handler = async (event) => {
  const duration = decodeURIComponent(event.pathParameters.duration);
  return { statusCode: 200, body: JSON.stringify({ duration, millis: ms(duration) }) };
};
