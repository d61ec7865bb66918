export const handler = async (event, context) => ({ upper: String(event.word).toUpperCase(), by: context.functionName });
