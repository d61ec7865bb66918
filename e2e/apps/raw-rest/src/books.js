const BOOKS = { 1: { id: '1', title: 'Dune' }, 2: { id: '2', title: 'Solaris' } };

exports.handler = async (event) => {
  const id = event.pathParameters && event.pathParameters.id;
  if (!id) return { statusCode: 200, body: JSON.stringify(Object.values(BOOKS)) };
  const book = BOOKS[id];
  return book ? { statusCode: 200, body: JSON.stringify(book) } : { statusCode: 404, body: JSON.stringify({ message: 'no such book' }) };
};
