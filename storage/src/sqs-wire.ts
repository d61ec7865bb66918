// The two wire formats of SQS (docs/sqs.md "Protocols"), as pure functions: the AWS JSON 1.0
// protocol (client-sqs v3, boto3 >= 1.31, recent aws-sdk v2) and the query protocol (form
// fields in, XML out: older aws-sdk v2 and boto3). A query request's fields are brought to the
// JSON protocol's shape, so that one set of operations (sqs-actions.ts) serves both.
import { emptyDict, invalidParameter, SqsError } from './sqs-queues.js';
import type { Output } from './sqs-actions.js';

export const SQS_XML_NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';
export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';

// ---- query protocol: form fields -> the JSON shape ------------------------------------------

/** Flattened lists of the query protocol (`AttributeName.1=...`) and their JSON names. */
const QUERY_LISTS: Record<string, string> = {
  AttributeName: 'AttributeNames',
  MessageSystemAttributeName: 'MessageSystemAttributeNames',
  MessageAttributeName: 'MessageAttributeNames',
  TagKey: 'TagKeys',
  SendMessageBatchRequestEntry: 'Entries',
  DeleteMessageBatchRequestEntry: 'Entries',
  ChangeMessageVisibilityBatchRequestEntry: 'Entries',
};

/** Flattened maps of the query protocol (`Attribute.1.Name=...&Attribute.1.Value=...`) and their JSON names. */
const QUERY_MAPS: Record<string, { json: string; key: string; value: string }> = {
  Attribute: { json: 'Attributes', key: 'Name', value: 'Value' },
  Tag: { json: 'Tags', key: 'Key', value: 'Value' },
  MessageAttribute: { json: 'MessageAttributes', key: 'Name', value: 'Value' },
  MessageSystemAttribute: { json: 'MessageSystemAttributes', key: 'Name', value: 'Value' },
};

/** Fields of the request itself, not parameters of the operation. */
const ENVELOPE = new Set(['Action', 'Version', 'AWSAccessKeyId', 'SignatureMethod', 'SignatureVersion', 'Signature', 'Timestamp', 'Expires', 'SecurityToken']);
/** Dotted keys deeper than this are not SQS parameters (the deepest is Entry.N.MessageAttribute.N.Value.StringValue). */
const MAX_KEY_DEPTH = 8;

interface Tree {
  [key: string]: Tree | string;
}

/** The form fields of a query-protocol request, nested by their dots and shaped as the JSON protocol's parameters. */
export function queryToInput(fields: Iterable<[string, string]>): Record<string, unknown> {
  const root: Tree = emptyDict();
  for (const [key, value] of fields) {
    if (ENVELOPE.has(key) || key.startsWith('X-Amz-')) continue;
    const parts = key.split('.');
    if (parts.length > MAX_KEY_DEPTH || parts.some((p) => p === '')) throw invalidParameter(key.slice(0, 100), value, 'is not a parameter of SQS.');
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = node[parts[i]];
      if (typeof next === 'string') throw invalidParameter(parts.slice(0, i + 1).join('.'), next, `is given both as a value and as ${key}.`);
      node = next ?? (node[parts[i]] = emptyDict());
    }
    const last = parts[parts.length - 1];
    if (typeof node[last] === 'object') throw invalidParameter(key, value, 'is given both as a value and as a list or map.');
    node[last] = value;
  }
  return shape(root, '');
}

function shape(node: Tree, path: string): Record<string, unknown> {
  const out = emptyDict<unknown>();
  for (const [key, child] of Object.entries(node)) {
    const where = path + key;
    const list = Object.hasOwn(QUERY_LISTS, key) ? QUERY_LISTS[key] : undefined;
    const map = Object.hasOwn(QUERY_MAPS, key) ? QUERY_MAPS[key] : undefined;
    if (list) {
      out[list] = numbered(child, where).map(([i, item]) => (typeof item === 'string' ? item : shape(item, `${where}.${i}.`)));
    } else if (map) {
      const entries = emptyDict<unknown>();
      for (const [i, item] of numbered(child, where)) {
        const name = typeof item === 'object' ? item[map.key] : undefined;
        if (typeof name !== 'string') throw new SqsError('MissingParameter', `The request must contain the parameter ${where}.${i}.${map.key}.`);
        const value = (item as Tree)[map.value];
        if (value === undefined) throw new SqsError('MissingParameter', `The request must contain the parameter ${where}.${i}.${map.value}.`);
        entries[name] = typeof value === 'string' ? value : shape(value, `${where}.${i}.${map.value}.`);
      }
      out[map.json] = entries;
    } else {
      out[key] = typeof child === 'string' ? child : shape(child, `${where}.`);
    }
  }
  return out;
}

/** The items of a flattened list (`X.1`, `X.2`, ... or `X.member.1`), in index order. */
function numbered(node: Tree | string, where: string): Array<[number, Tree | string]> {
  if (typeof node === 'string') throw invalidParameter(where, node, `must be numbered: ${where}.1, ${where}.2, ...`);
  const keys = Object.keys(node);
  if (keys.length === 1 && keys[0] === 'member' && typeof node.member === 'object') return numbered(node.member, `${where}.member`);
  const items: Array<[number, Tree | string]> = [];
  for (const key of keys) {
    if (!/^[1-9]\d{0,3}$/.test(key)) throw invalidParameter(`${where}.${key.slice(0, 50)}`, node[key], `is not a numbered item of ${where}.`);
    items.push([Number(key), node[key]]);
  }
  return items.sort((a, b) => a[0] - b[0]);
}

// ---- query protocol: JSON-shaped output -> XML ----------------------------------------------

/** Text for an XML element; `\r` as a reference so that parsers keep it (they turn a raw CR LF into LF). */
export function xmlText(value: string): string {
  return value.replace(/[&<>"\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#xD;'));
}

const element = (name: string, inner: string) => `<${name}>${inner}</${name}>`;

function scalar(value: unknown): string {
  return xmlText(typeof value === 'string' ? value : String(value));
}

function nameValues(map: Record<string, unknown>, item: string, key: string, render: (v: unknown) => string): string {
  return Object.entries(map)
    .map(([k, v]) => element(item, element(key, xmlText(k)) + element('Value', render(v))))
    .join('');
}

function messageAttributeValue(value: unknown): string {
  const v = value as { DataType: string; StringValue?: string; BinaryValue?: string };
  return (
    (v.StringValue !== undefined ? element('StringValue', xmlText(v.StringValue)) : '') +
    (v.BinaryValue !== undefined ? element('BinaryValue', xmlText(v.BinaryValue)) : '') +
    element('DataType', xmlText(v.DataType))
  );
}

/** The members of an output structure as the query protocol writes them (lists and maps flattened). */
function members(action: string, output: Output): string {
  let xml = '';
  for (const [key, value] of Object.entries(output)) {
    if (value === undefined) continue;
    switch (key) {
      case 'QueueUrls':
      case 'queueUrls':
        xml += (value as string[]).map((u) => element('QueueUrl', xmlText(u))).join('');
        break;
      case 'Attributes':
        xml += nameValues(value as Record<string, unknown>, 'Attribute', 'Name', scalar);
        break;
      case 'Tags':
        xml += nameValues(value as Record<string, unknown>, 'Tag', 'Key', scalar);
        break;
      case 'MessageAttributes':
        xml += nameValues(value as Record<string, unknown>, 'MessageAttribute', 'Name', messageAttributeValue);
        break;
      case 'Messages':
        xml += (value as Output[]).map((m) => element('Message', members(action, m))).join('');
        break;
      case 'Successful':
      case 'Results':
        xml += (value as Output[]).map((e) => element(`${action}ResultEntry`, members(action, e))).join('');
        break;
      case 'Failed':
        xml += (value as Output[]).map((e) => element('BatchResultErrorEntry', members(action, e))).join('');
        break;
      default:
        xml += element(key, scalar(value));
    }
  }
  return xml;
}

/** Operations whose answer has no result element (nothing but the request id). */
const NO_RESULT = new Set(['DeleteQueue', 'PurgeQueue', 'SetQueueAttributes', 'TagQueue', 'UntagQueue', 'DeleteMessage', 'ChangeMessageVisibility']);

export function xmlResponse(action: string, output: Output, requestId: string): string {
  const result = NO_RESULT.has(action) ? '' : element(`${action}Result`, members(action, output));
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${SQS_XML_NAMESPACE}">${result}${element('ResponseMetadata', element('RequestId', requestId))}</${action}Response>`;
}

export function xmlError(err: SqsError, requestId: string): string {
  const type = err.senderFault ? 'Sender' : 'Receiver';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${SQS_XML_NAMESPACE}">${element('Error', element('Type', type) + element('Code', xmlText(err.queryCode)) + element('Message', xmlText(err.message)) + '<Detail/>')}${element('RequestId', requestId)}</ErrorResponse>`;
}

// ---- JSON protocol --------------------------------------------------------------------------

export function jsonError(err: SqsError): { body: string; headers: Record<string, string> } {
  return {
    body: JSON.stringify({ __type: `com.amazonaws.sqs#${err.code}`, message: err.message }),
    // How a query-compatible client (client-sqs v3, boto3) learns the query protocol's code.
    headers: { 'x-amzn-query-error': `${err.queryCode};${err.senderFault ? 'Sender' : 'Receiver'}` },
  };
}
