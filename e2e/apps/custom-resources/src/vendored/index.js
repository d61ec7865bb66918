const response = require('./cfn-response');

exports.handler = async (event, context) => {
  const greeting = event.ResourceProperties.Greeting;
  await response.send(event, context, response.SUCCESS, { Echo: `${greeting}, answered over a vendored cfn-response` }, `vendored-${greeting}`);
};
