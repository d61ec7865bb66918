// Behind GET /notes-api/words/{text} (a Lambda custom integration): the request template hands
// it {"text": ...}, the response template shapes what it returns, and an error whose message
// starts with "empty:" is the method's 400 by the integration response's selection pattern.
export const handler = async (event) => {
  const text = String(event.text ?? '');
  if (!/\p{L}/u.test(text)) throw new Error(`empty: ${text || 'nothing'} has no letters`);
  return { upper: text.toUpperCase(), letters: [...text.matchAll(/\p{L}/gu)].length };
};
