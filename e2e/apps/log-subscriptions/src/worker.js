// Logs one JSON line per item of the request, at the level the item says.
exports.handler = async (event) => {
  const items = JSON.parse(event.body);
  for (const item of items) console.log(JSON.stringify({ level: item.level, message: item.message }));
  return { statusCode: 202, body: JSON.stringify({ logged: items.length }) };
};

// Logs each item with the console method of its level; Lambda's runtime leaves out those below
// the function's ApplicationLogLevel.
exports.levels = async (event) => {
  const items = JSON.parse(event.body);
  for (const item of items) (item.level === 'ERROR' ? console.error : item.level === 'WARN' ? console.warn : console.info)(item.message);
  console.warn('batch done:\n' + items.map((i) => i.message).join('\n'));
  return { statusCode: 202, body: JSON.stringify({ logged: items.length }) };
};
