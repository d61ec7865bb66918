exports.handler = async () => ({ statusCode: 404, body: "not here" });
