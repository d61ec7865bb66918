const { readFileSync } = require('node:fs');
const path = require('node:path');

// Both files are written by the Makefile into ARTIFACTS_DIR; neither exists in the sources.
const message = readFileSync(path.join(__dirname, 'message.txt'), 'utf8').trim();
const info = JSON.parse(readFileSync(path.join(__dirname, 'build-info.json'), 'utf8'));

exports.handler = async (event) => {
  if (event.rawPath === '/build-info') return { statusCode: 200, body: JSON.stringify(info) };
  return { statusCode: 200, body: JSON.stringify({ message }) };
};
