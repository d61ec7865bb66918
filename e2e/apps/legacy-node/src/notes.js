'use strict';
const AWS = require('aws-sdk');

const db = new AWS.DynamoDB.DocumentClient();

exports.handler = async (event) => {
  const noteId = event.pathParameters.noteId;
  if (event.httpMethod === 'PUT') {
    await db.put({ TableName: process.env.NOTES_TABLE, Item: { noteId, text: event.body } }).promise();
    return { statusCode: 201, body: JSON.stringify({ noteId, stored: true }) };
  }
  const { Item } = await db.get({ TableName: process.env.NOTES_TABLE, Key: { noteId } }).promise();
  return Item ? { statusCode: 200, body: JSON.stringify(Item) } : { statusCode: 404, body: JSON.stringify({ message: 'no such note' }) };
};
