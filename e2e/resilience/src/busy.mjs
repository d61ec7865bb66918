export const handler = async (event) => {
  if (event.path === '/busy') await new Promise((r) => setTimeout(r, 3000));
  return { statusCode: 200, body: JSON.stringify({ ok: true, path: event.path }) };
};
