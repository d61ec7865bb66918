// CommonJS, as many samples still are.
const ms = require('ms');

exports.handler = async (event) => {
  if (event.httpMethod === 'POST') {
    const { millis } = JSON.parse(event.body || '{}');
    return { statusCode: 200, body: JSON.stringify({ text: ms(Number(millis), { long: true }) }) };
  }
  const value = decodeURIComponent(event.pathParameters.value);
  const millis = ms(value);
  if (millis === undefined) return { statusCode: 400, body: JSON.stringify({ message: `cannot read "${value}"` }) };
  return { statusCode: 200, body: JSON.stringify({ value, millis }) };
};
