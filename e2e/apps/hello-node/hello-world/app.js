// A CommonJS handler, as the older Node.js quick starts write it.
const { greeting } = require('./greeting');

exports.lambdaHandler = async (event, context) => {
  return {
    statusCode: 200,
    body: JSON.stringify({ message: greeting('world'), app: 'hello-node', function: context.functionName }),
  };
};
