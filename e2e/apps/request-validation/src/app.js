exports.process = async (event) => {
  if (event.httpMethod === 'GET') {
    return { statusCode: 200, body: JSON.stringify({ make: event.queryStringParameters.make, vehicles: [] }) };
  }
  const vehicle = JSON.parse(event.body);
  return { statusCode: 200, body: JSON.stringify({ accepted: `${vehicle.year} ${vehicle.make} ${vehicle.model}` }) };
};
