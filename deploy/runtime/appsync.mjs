// The function esb runs for an AppSync GraphQL API (docs/appsync.md): `POST /graphql` of an HTTP
// API payload 2.0 event, answered as AppSync does. The API is in ESB_APPSYNC (crds/src/appsync.ts):
// its schema (AppSync's scalars and directives added), auth modes, data sources, pipeline
// functions and resolvers (Velocity templates or APPSYNC_JS code; none on a Lambda source: a
// direct Lambda resolver). esb copies a built-in with the ./*.mjs files it imports; the schema
// prelude is appsync-schema.mjs (shared with the gateway's subscriptions, docs/appsync.md).
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultFieldResolver, execute, getOperationAST, GraphQLError, Kind, parse, print, specifiedRules, validate } from 'graphql';
import { authOf, buildApiSchema, subscribedMutations } from './appsync-schema.mjs';
import { base64Decode, base64Encode, boundedVelocity, escapeJavaScript, tool, urlDecode, urlEncode } from './velocity-java.mjs';

// ================================================================== util / $util: ids, time, DynamoDB typed values, errors
const U = (() => {
  /**
   * Shared through globalThis: the user's JS code imports this module by its file URL, the runtime
   * by a relative path, and a loader may hand them two instances.
   */
  const SHARED = (globalThis[Symbol.for('esb.appsync.util')] ??= { steps: new AsyncLocalStorage() });

  /** The step being run: `{errors}` gathers `util.appendError`. */
  const steps = SHARED.steps;

  /** A GraphQL error a step raises (`util.error`, a data source's failure); the message is kept apart from Error's (velocityjs appends to it). */
  class StepError extends Error {
    constructor(message, errorType, data, errorInfo) {
      super(String(message ?? ''));
      this.gql = { message: String(message ?? ''), errorType: errorType ?? undefined, data: data ?? null, errorInfo: errorInfo ?? null };
    }
  }

  /** `runtime.earlyReturn(value)` / `#return(value)`: the step ends with this value. */
  class EarlyReturn {
    constructor(value) {
      this.value = value;
    }
  }

  function raise(message, errorType, data, errorInfo) {
    throw new StepError(message, errorType, data, errorInfo);
  }

  function appendError(message, errorType, data, errorInfo) {
    const step = steps.getStore();
    if (step) step.errors.push({ message: String(message ?? ''), errorType: errorType ?? undefined, data: data ?? null, errorInfo: errorInfo ?? null });
  }

  // ------------------------------------------------------------------ ids

  const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let lastUlid = { time: -1, random: [] };

  /** A ULID: sortable by time, and within one millisecond by the order they were made. */
  function autoUlid() {
    const time = Date.now();
    let random;
    if (time === lastUlid.time) {
      random = [...lastUlid.random];
      for (let i = random.length - 1; i >= 0; i--) {
        if (random[i] < 31) {
          random[i]++;
          break;
        }
        random[i] = 0;
      }
    } else random = [...randomBytes(16)].map((b) => b % 32);
    lastUlid = { time, random };
    let head = '';
    for (let t = time, i = 0; i < 10; i++, t = Math.floor(t / 32)) head = CROCKFORD[t % 32] + head;
    return head + random.map((d) => CROCKFORD[d]).join('');
  }

  /** A KSUID-like id: 27 base62 characters, time first. */
  function autoKsuid() {
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    const bytes = Buffer.concat([Buffer.alloc(4), randomBytes(16)]);
    bytes.writeUInt32BE(Math.floor(Date.now() / 1000) - 1400000000, 0);
    let n = BigInt(`0x${bytes.toString('hex')}`);
    let out = '';
    while (n > 0n) {
      out = alphabet[Number(n % 62n)] + out;
      n /= 62n;
    }
    return out.padStart(27, '0');
  }

  // ------------------------------------------------------------------ values

  const isNull = (v) => v === null || v === undefined;
  const isNullOrEmpty = (v) => isNull(v) || (typeof v === 'string' && v.length === 0);
  const isNullOrBlank = (v) => isNull(v) || (typeof v === 'string' && v.trim().length === 0);
  const isMap = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

  /** `$util.typeOf`: Null, Number, String, Map, List, Boolean, Object. */
  function typeOf(v) {
    if (isNull(v)) return 'Null';
    if (typeof v === 'number') return 'Number';
    if (typeof v === 'string') return 'String';
    if (typeof v === 'boolean') return 'Boolean';
    if (Array.isArray(v)) return 'List';
    if (isMap(v)) return 'Map';
    return 'Object';
  }

  /** JSON of a value; undefined (an absent argument) is null. */
  const toJson = (value) => JSON.stringify(value === undefined ? null : value);

  // ------------------------------------------------------------------ time

  const pad = (n, w = 2) => String(n).padStart(w, '0');

  /** A subset of Java's DateTimeFormatter patterns (yyyy MM dd HH mm ss SSS Z XXX, 'quoted'), in UTC or a fixed zone. */
  function formatTime(millis, format, zone) {
    let offsetMinutes = 0;
    const m = /^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$/.exec(String(zone ?? ''));
    if (m) offsetMinutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
    const d = new Date(millis + offsetMinutes * 60_000);
    const sign = offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(offsetMinutes);
    const tokens = {
      yyyy: () => pad(d.getUTCFullYear(), 4),
      yy: () => pad(d.getUTCFullYear() % 100),
      MM: () => pad(d.getUTCMonth() + 1),
      dd: () => pad(d.getUTCDate()),
      HH: () => pad(d.getUTCHours()),
      mm: () => pad(d.getUTCMinutes()),
      ss: () => pad(d.getUTCSeconds()),
      SSS: () => pad(d.getUTCMilliseconds(), 3),
      Z: () => `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`,
      XXX: () => (abs === 0 ? 'Z' : `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`),
    };
    return String(format).replace(/'([^']*)'|yyyy|yy|MM|dd|HH|mm|ss|SSS|XXX|Z/g, (t, quoted) => (quoted !== undefined ? quoted : tokens[t]()));
  }

  const time = {
    nowISO8601: () => new Date().toISOString(),
    nowEpochSeconds: () => Math.floor(Date.now() / 1000),
    nowEpochMilliSeconds: () => Date.now(),
    nowFormatted: (format, zone) => formatTime(Date.now(), format, zone),
    parseISO8601ToEpochMilliSeconds: (s) => Date.parse(String(s)),
    epochMilliSecondsToSeconds: (ms) => Math.floor(Number(ms) / 1000),
    epochMilliSecondsToISO8601: (ms) => new Date(Number(ms)).toISOString(),
    epochMilliSecondsToFormatted: (ms, format, zone) => formatTime(Number(ms), format, zone),
  };

  // ------------------------------------------------------------------ DynamoDB typed values

  /** A value as a DynamoDB attribute value (`{S}`, `{N}`, `{BOOL}`, `{NULL}`, `{L}`, `{M}`). */
  function toDynamoDB(value) {
    if (isNull(value)) return { NULL: true };
    if (typeof value === 'string') return { S: value };
    if (typeof value === 'number' || typeof value === 'bigint') return { N: String(value) };
    if (typeof value === 'boolean') return { BOOL: value };
    if (value instanceof Set) return toDynamoDBSet([...value]);
    if (Array.isArray(value)) return { L: value.map(toDynamoDB) };
    if (typeof value === 'object') return { M: toMapValues(value) };
    return { S: String(value) };
  }

  function toDynamoDBSet(values) {
    return values.every((v) => typeof v === 'number') ? { NS: values.map(String) } : { SS: values.map(String) };
  }

  /** Each value of a map as an attribute value (undefined ones left out). */
  function toMapValues(map) {
    const out = {};
    for (const [k, v] of Object.entries(map ?? {})) if (v !== undefined) out[k] = toDynamoDB(v);
    return out;
  }

  /** An attribute value as a plain value: numbers as numbers, sets as lists, binaries as base64. */
  function fromDynamoDB(av) {
    if (!isMap(av)) return av;
    if ('S' in av) return av.S;
    if ('N' in av) return Number(av.N);
    if ('BOOL' in av) return av.BOOL;
    if ('NULL' in av) return null;
    if ('L' in av) return av.L.map(fromDynamoDB);
    if ('M' in av) return fromItem(av.M);
    if ('SS' in av) return [...av.SS];
    if ('NS' in av) return av.NS.map(Number);
    if ('B' in av) return Buffer.from(av.B).toString('base64');
    if ('BS' in av) return av.BS.map((b) => Buffer.from(b).toString('base64'));
    return av;
  }

  const fromItem = (item) => (isNull(item) ? null : Object.fromEntries(Object.entries(item).map(([k, v]) => [k, fromDynamoDB(v)])));

  const dynamodb = {
    toDynamoDB,
    toMapValues,
    toString: (v) => ({ S: String(v) }),
    toStringSet: (l) => ({ SS: [...l].map(String) }),
    toNumber: (v) => ({ N: String(v) }),
    toNumberSet: (l) => ({ NS: [...l].map(String) }),
    toBinary: (v) => ({ B: String(v) }),
    toBinarySet: (l) => ({ BS: [...l].map(String) }),
    toBoolean: (v) => ({ BOOL: Boolean(v) }),
    toNull: () => ({ NULL: true }),
    toList: (l) => ({ L: [...l].map(toDynamoDB) }),
    toMap: (m) => ({ M: toMapValues(m) }),
    toS3Object: (key, bucket, region, version) => ({ S: JSON.stringify({ s3: { key, bucket, region, ...(version ? { version } : {}) } }) }),
    fromS3ObjectJson: (s) => JSON.parse(String(s)).s3,
  };

  // ------------------------------------------------------------------ util, as APPSYNC_JS code sees it

  const util = {
    error: raise,
    appendError,
    unauthorized: () => raise('Unauthorized', 'Unauthorized'),
    autoId: () => randomUUID(),
    autoUlid,
    autoKsuid,
    isNull,
    isNullOrEmpty,
    isNullOrBlank,
    defaultIfNull: (v, d) => (isNull(v) ? d : v),
    defaultIfNullOrEmpty: (v, d) => (isNullOrEmpty(v) ? d : v),
    defaultIfNullOrBlank: (v, d) => (isNullOrBlank(v) ? d : v),
    escapeJavaScript,
    urlEncode,
    urlDecode,
    base64Encode,
    base64Decode,
    matches: (pattern, s) => new RegExp(`^(?:${pattern})$`).test(String(s)),
    typeOf,
    isString: (v) => typeof v === 'string',
    isNumber: (v) => typeof v === 'number',
    isBoolean: (v) => typeof v === 'boolean',
    isList: Array.isArray,
    isMap,
    time,
    dynamodb,
    str: {
      toUpper: (s) => String(s).toUpperCase(),
      toLower: (s) => String(s).toLowerCase(),
      toReplace: (s, a, b) => String(s).split(String(a)).join(String(b)),
      normalize: (s, form) => String(s).normalize(String(form ?? 'NFC').toUpperCase()),
    },
    math: {
      roundNum: (n) => Math.round(n),
      minVal: (a, b) => Math.min(a, b),
      maxVal: (a, b) => Math.max(a, b),
      randomDouble: () => Math.random(),
      randomWithinRange: (a, b) => a + Math.floor(Math.random() * (b - a + 1)),
    },
  };

  const runtime = {
    earlyReturn(value) {
      throw new EarlyReturn(value);
    },
  };

  /** Subscriptions are not served over HTTP: their filters and invalidations do nothing here. */
  const extensions = {
    setSubscriptionFilter() {},
    setSubscriptionInvalidationFilter() {},
    invalidateSubscriptions() {},
    evictFromApiCache() {},
  };
  return { steps, StepError, EarlyReturn, raise, appendError, autoUlid, autoKsuid, isNull, isNullOrEmpty, isNullOrBlank, isMap, typeOf, escapeJavaScript, urlEncode, urlDecode, base64Encode, base64Decode, toJson, formatTime, time, toDynamoDB, toMapValues, fromDynamoDB, fromItem, dynamodb, util, runtime, extensions };
})();

// ================================================================== @aws-appsync/utils/dynamodb: requests from plain values, filters, update operations
const D = (() => {
  const { toDynamoDB, toMapValues } = U;
  /** An update operation (`operations.increment(1)`, ...) rather than a value to set. */
  class Operation {
    constructor(kind, value, index) {
      this.kind = kind;
      this.value = value;
      this.index = index;
    }
  }

  const operations = {
    add: (value) => new Operation('add', value),
    remove: () => new Operation('remove'),
    replace: (value) => new Operation('replace', value),
    increment: (by = 1) => new Operation('add', by),
    decrement: (by = 1) => new Operation('add', -by),
    append: (items) => new Operation('append', items),
    prepend: (items) => new Operation('prepend', items),
    updateListItem: (value, index) => new Operation('updateListItem', value, index),
    delete: (items) => new Operation('delete', items),
  };

  /** Names and values of one expression, numbered as they come. */
  function placeholders() {
    const expressionNames = {};
    const expressionValues = {};
    let names = 0;
    let values = 0;
    return {
      expressionNames,
      expressionValues,
      name(field) {
        return String(field)
          .split('.')
          .map((part) => {
            const known = Object.keys(expressionNames).find((k) => expressionNames[k] === part);
            if (known) return known;
            const p = `#n${names++}`;
            expressionNames[p] = part;
            return p;
          })
          .join('.');
      },
      value(v, typed = toDynamoDB(v)) {
        const p = `:v${values++}`;
        expressionValues[p] = typed;
        return p;
      },
    };
  }

  const COMPARE = { eq: '=', ne: '<>', lt: '<', le: '<=', gt: '>', ge: '>=' };

  function conditionText(object, p) {
    const parts = [];
    for (const [key, arg] of Object.entries(object ?? {})) {
      if (arg === undefined) continue;
      if (key === 'and' || key === 'or') {
        const inner = [].concat(arg).map((c) => conditionText(c, p)).filter(Boolean);
        if (inner.length) parts.push(`(${inner.join(key === 'and' ? ' AND ' : ' OR ')})`);
      } else if (key === 'not') {
        const inner = conditionText(arg, p);
        if (inner) parts.push(`(NOT ${inner})`);
      } else parts.push(...fieldConditions(p.name(key), arg, p));
    }
    return parts.join(' AND ');
  }

  function fieldConditions(name, ops, p) {
    const out = [];
    for (const [op, v] of Object.entries(ops ?? {})) {
      if (v === undefined) continue;
      if (COMPARE[op]) out.push(`${name} ${COMPARE[op]} ${p.value(v)}`);
      else if (op === 'between') out.push(`${name} BETWEEN ${p.value(v[0])} AND ${p.value(v[1])}`);
      else if (op === 'beginsWith') out.push(`begins_with(${name}, ${p.value(v)})`);
      else if (op === 'contains') out.push(`contains(${name}, ${p.value(v)})`);
      else if (op === 'notContains') out.push(`NOT contains(${name}, ${p.value(v)})`);
      else if (op === 'attributeExists') out.push(v ? `attribute_exists(${name})` : `attribute_not_exists(${name})`);
      else if (op === 'attributeType') out.push(`attribute_type(${name}, ${p.value(v)})`);
      else if (op === 'in') out.push(`${name} IN (${[].concat(v).map((x) => p.value(x)).join(', ')})`);
      else if (op === 'size') out.push(...fieldConditions(`size(${name})`, v, p));
      else throw new Error(`unknown condition operator ${op}`);
    }
    return out;
  }

  /** A filter or condition object as `{expression, expressionNames, expressionValues}`; undefined when it says nothing. */
  function conditionExpression(object, p = placeholders()) {
    if (object === undefined || object === null) return undefined;
    const expression = conditionText(object, p);
    return expression ? { expression, expressionNames: p.expressionNames, expressionValues: p.expressionValues } : undefined;
  }

  function projection(fields, p = placeholders()) {
    if (!fields?.length) return undefined;
    return { expression: fields.map((f) => p.name(f)).join(', '), expressionNames: p.expressionNames };
  }

  function get({ key, consistentRead, projection: fields } = {}) {
    return { operation: 'GetItem', key: toMapValues(key), consistentRead, projection: projection(fields) };
  }

  function put({ key, item, condition, _version } = {}) {
    return { operation: 'PutItem', key: toMapValues(key), attributeValues: toMapValues(item), condition: conditionExpression(condition), _version };
  }

  function remove({ key, condition, _version } = {}) {
    return { operation: 'DeleteItem', key: toMapValues(key), condition: conditionExpression(condition), _version };
  }

  function update({ key, update: changes, condition, _version } = {}) {
    const p = placeholders();
    const set = [];
    const add = [];
    const del = [];
    const rem = [];
    for (const [field, v] of Object.entries(changes ?? {})) {
      if (v === undefined) continue;
      const name = p.name(field);
      if (!(v instanceof Operation)) set.push(`${name} = ${p.value(v)}`);
      else if (v.kind === 'replace') set.push(`${name} = ${p.value(v.value)}`);
      else if (v.kind === 'remove') rem.push(name);
      else if (v.kind === 'add') add.push(`${name} ${p.value(v.value, typeof v.value === 'number' ? undefined : setOf(v.value))}`);
      else if (v.kind === 'delete') del.push(`${name} ${p.value(undefined, setOf(v.value))}`);
      else if (v.kind === 'append') set.push(`${name} = list_append(if_not_exists(${name}, ${p.value([])}), ${p.value(v.value)})`);
      else if (v.kind === 'prepend') set.push(`${name} = list_append(${p.value(v.value)}, if_not_exists(${name}, ${p.value([])}))`);
      else if (v.kind === 'updateListItem') set.push(`${name}[${Number(v.index)}] = ${p.value(v.value)}`);
    }
    const clauses = [set.length && `SET ${set.join(', ')}`, add.length && `ADD ${add.join(', ')}`, rem.length && `REMOVE ${rem.join(', ')}`, del.length && `DELETE ${del.join(', ')}`].filter(Boolean);
    return { operation: 'UpdateItem', key: toMapValues(key), update: { expression: clauses.join(' '), expressionNames: p.expressionNames, expressionValues: p.expressionValues }, condition: conditionExpression(condition), _version };
  }

  function setOf(values) {
    const list = [].concat(values instanceof Set ? [...values] : values);
    return list.every((x) => typeof x === 'number') ? { NS: list.map(String) } : { SS: list.map(String) };
  }

  // One set of placeholders for a request's key condition, filter and projection (they share its names and values).
  function query({ query: keys, filter, index, limit, nextToken, scanIndexForward, consistentRead, select, projection: fields } = {}) {
    const p = placeholders();
    return { operation: 'Query', query: conditionExpression(keys, p), filter: conditionExpression(filter, p), index, limit, nextToken, scanIndexForward, consistentRead, select, projection: projection(fields, p) };
  }

  function scan({ filter, index, limit, nextToken, consistentRead, segment, totalSegments, select, projection: fields } = {}) {
    const p = placeholders();
    return { operation: 'Scan', filter: conditionExpression(filter, p), index, limit, nextToken, consistentRead, segment, totalSegments, select, projection: projection(fields, p) };
  }

  function sync({ limit, nextToken, lastSync, filter } = {}) {
    return { operation: 'Sync', limit, nextToken, lastSync, filter: conditionExpression(filter) };
  }
  return { operations, conditionExpression, get, put, remove, update, query, scan, sync };
})();

// ================================================================== Velocity mapping templates (velocityjs, bounded: velocity-java.mjs)
const V = (() => {
  const u = U;
  const { conditionExpression } = D;
  // ------------------------------------------------------------------ $util

  const json = (f) => (...args) => JSON.stringify(f(...args));
  const ddb = u.dynamodb;

  const UTIL = tool({
    ...Object.fromEntries(['autoId', 'autoUlid', 'autoKsuid', 'isNull', 'isNullOrEmpty', 'isNullOrBlank', 'defaultIfNull', 'defaultIfNullOrEmpty', 'defaultIfNullOrBlank', 'escapeJavaScript', 'urlEncode', 'urlDecode', 'base64Encode', 'base64Decode', 'matches', 'typeOf', 'isString', 'isNumber', 'isBoolean', 'isList', 'isMap', 'error', 'appendError', 'unauthorized'].map((k) => [k, u.util[k]])),
    toJson: u.toJson,
    parseJson: (text) => JSON.parse(String(text)),
    qr: () => '',
    quiet: () => '',
    validate(ok, message, type, data) {
      if (!ok) u.raise(message, type ?? 'CustomTemplateException', data);
      return '';
    },
    time: tool({ ...u.time }),
    dynamodb: tool({
      ...ddb,
      toDynamoDBJson: json(ddb.toDynamoDB),
      toStringJson: json(ddb.toString),
      toStringSetJson: json(ddb.toStringSet),
      toNumberJson: json(ddb.toNumber),
      toNumberSetJson: json(ddb.toNumberSet),
      toBinaryJson: json(ddb.toBinary),
      toBinarySetJson: json(ddb.toBinarySet),
      toBooleanJson: json(ddb.toBoolean),
      toNullJson: json(ddb.toNull),
      toListJson: json(ddb.toList),
      toMapJson: json(ddb.toMap),
      toMapValuesJson: json(ddb.toMapValues),
      toS3ObjectJson: json(ddb.toS3Object),
    }),
    map: tool({
      copyAndRetainAllKeys: (map, keys) => Object.fromEntries(Object.entries(map ?? {}).filter(([k]) => [...keys].includes(k))),
      copyAndRemoveAllKeys: (map, keys) => Object.fromEntries(Object.entries(map ?? {}).filter(([k]) => ![...keys].includes(k))),
    }),
    list: tool({
      copyAndRetainAll: (list, keep) => [...list].filter((x) => [...keep].includes(x)),
      copyAndRemoveAll: (list, drop) => [...list].filter((x) => ![...drop].includes(x)),
      sortList(list, descending, property) {
        const key = (x) => (property ? x?.[property] : x);
        return [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * (descending ? -1 : 1));
      },
    }),
    str: tool({ ...u.util.str }),
    math: tool({ ...u.util.math }),
    transform: tool({
      toDynamoDBFilterExpression: (filter) => JSON.stringify(conditionExpression(filter) ?? null),
      toDynamoDBConditionExpression: (condition) => JSON.stringify(conditionExpression(condition) ?? null),
    }),
  });

  // ------------------------------------------------------------------ rendering

  let engine;
  /** The bounded Velocity compiler (velocity-java.mjs), with AppSync's `#return`. */
  async function loadEngine() {
    if (engine) return engine;
    // `#return` without arguments is a call of the macro with none.
    const render = await boundedVelocity('AppSync', (text) => text.replace(/#return(?!\s*\()/g, '#return()'));
    const macros = {
      return(value) {
        throw new u.EarlyReturn(value);
      },
    };
    engine = (text, variables) => render(text, variables, macros);
    return engine;
  }

  /**
   * A template rendered with this context: `{text}`, or `{returned: value}` when it ran `#return`.
   * `util.error` raises a StepError; other failures raise a StepError of type MappingTemplate.
   */
  async function render(text, ctx) {
    const run = await loadEngine();
    try {
      return { text: run(text, { ctx, context: ctx, util: UTIL, utils: UTIL }) };
    } catch (err) {
      if (err instanceof u.EarlyReturn) return { returned: err.value };
      if (err instanceof u.StepError) throw err;
      throw new u.StepError(String(err?.message ?? err).trim(), 'MappingTemplate');
    }
  }

  /** A rendered template's JSON (AppSync's mapping templates must render JSON). */
  function parseRendered(text) {
    if (text.trim() === '') throw new u.StepError('Template transformation yielded an empty response.', 'MappingTemplate');
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new u.StepError(`Unable to parse the JSON document: ${err.message}`, 'MappingTemplate');
    }
  }
  return { render, parseRendered };
})();

// ================================================================== data sources, on esb's endpoints (AWS_ENDPOINT_URL_*)
const S = (() => {
  const { StepError, fromItem, isMap } = U;
  const region = () => process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const credentials = () => ({ accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'local', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'local', ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}) });
  const endpointOf = (name) => process.env[`AWS_ENDPOINT_URL_${name}`] ?? process.env.AWS_ENDPOINT_URL;

  const clients = new Map();
  /** One SDK client per service and endpoint. */
  async function client(service) {
    const endpoint = endpointOf(service);
    const key = `${service} ${endpoint}`;
    if (!clients.has(key)) {
      const options = { region: region(), credentials: credentials(), ...(endpoint ? { endpoint } : {}), maxAttempts: 1 };
      if (service === 'LAMBDA') clients.set(key, import('@aws-sdk/client-lambda').then((m) => ({ m, c: new m.LambdaClient(options) })));
      else if (service === 'DYNAMODB') clients.set(key, import('@aws-sdk/client-dynamodb').then((m) => ({ m, c: new m.DynamoDBClient(options) })));
      else clients.set(key, import('@aws-sdk/client-eventbridge').then((m) => ({ m, c: new m.EventBridgeClient(options) })));
    }
    return clients.get(key);
  }

  // ------------------------------------------------------------------ Lambda

  /** A function invoked with this payload; its answer, or a StepError with its error (`Lambda:Unhandled` for a plain Error). */
  async function invokeFunction(name, payload, invocationType = 'RequestResponse') {
    const { m, c } = await client('LAMBDA');
    let out;
    try {
      out = await c.send(new m.InvokeCommand({ FunctionName: name, InvocationType: invocationType, Payload: Buffer.from(JSON.stringify(payload ?? null)) }));
    } catch (err) {
      throw new StepError(err?.message ?? String(err), `Lambda:${err?.name ?? 'Unknown'}`);
    }
    const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
    let value = null;
    if (text.trim() !== '') {
      try {
        value = JSON.parse(text);
      } catch {
        value = text;
      }
    }
    if (out.FunctionError) {
      const type = isMap(value) && typeof value.errorType === 'string' && value.errorType !== 'Error' ? value.errorType : 'Lambda:Unhandled';
      throw new StepError(isMap(value) && value.errorMessage !== undefined ? String(value.errorMessage) : text, type);
    }
    return value;
  }

  async function lambda(source, request) {
    const operation = request?.operation ?? 'Invoke';
    if (operation === 'BatchInvoke') {
      // No batching across fields here: a batch of one, its first answer.
      const answers = await invokeFunction(source.function, [request.payload]);
      return Array.isArray(answers) ? answers[0] : answers;
    }
    if (operation !== 'Invoke') throw new StepError(`Unsupported operation '${operation}' for the Lambda data source`, 'MappingTemplate');
    return invokeFunction(source.function, request.payload ?? null, request.invocationType === 'Event' ? 'Event' : 'RequestResponse');
  }

  // ------------------------------------------------------------------ DynamoDB

  const isEmpty = (o) => !o || Object.keys(o).length === 0;

  /** An expression's parts merged into one request's names and values. */
  function merged(...expressions) {
    const names = Object.assign({}, ...expressions.map((e) => e?.expressionNames ?? {}));
    const values = Object.assign({}, ...expressions.map((e) => e?.expressionValues ?? {}));
    return { ...(isEmpty(names) ? {} : { ExpressionAttributeNames: names }), ...(isEmpty(values) ? {} : { ExpressionAttributeValues: values }) };
  }

  const token = (key) => (key ? Buffer.from(JSON.stringify(key)).toString('base64') : null);
  const fromToken = (text) => {
    if (text === undefined || text === null || text === '') return undefined;
    try {
      return JSON.parse(Buffer.from(String(text), 'base64').toString('utf8'));
    } catch {
      throw new StepError('Invalid pagination token given.', 'DynamoDB:ValidationException');
    }
  };

  const cond = (c) => (c?.expression ? { ConditionExpression: c.expression } : {});
  const projection = (p) => (p?.expression ? { ProjectionExpression: p.expression } : {});

  function transactItem(item) {
    const table = { TableName: item.table, Key: item.key };
    switch (item.operation) {
      case 'PutItem':
        return { Put: { TableName: item.table, Item: { ...item.attributeValues, ...item.key }, ...cond(item.condition), ...merged(item.condition) } };
      case 'UpdateItem':
        return { Update: { ...table, UpdateExpression: item.update?.expression, ...cond(item.condition), ...merged(item.update, item.condition) } };
      case 'DeleteItem':
        return { Delete: { ...table, ...cond(item.condition), ...merged(item.condition) } };
      case 'ConditionCheck':
        return { ConditionCheck: { ...table, ...cond(item.condition), ...merged(item.condition) } };
      default:
        throw new StepError(`Unsupported operation '${item.operation}' in TransactWriteItems`, 'MappingTemplate');
    }
  }

  async function dynamodb(source, r) {
    const { m, c } = await client('DYNAMODB');
    const TableName = source.table;
    const send = (name, input) => c.send(new m[`${name}Command`](input));
    try {
      switch (r?.operation) {
        case 'GetItem': {
          const out = await send('GetItem', { TableName, Key: r.key, ConsistentRead: r.consistentRead, ...projection(r.projection), ...merged(r.projection) });
          return fromItem(out.Item);
        }
        case 'PutItem': {
          const Item = { ...r.attributeValues, ...r.key };
          await send('PutItem', { TableName, Item, ...cond(r.condition), ...merged(r.condition) });
          return fromItem(Item);
        }
        case 'UpdateItem': {
          const out = await send('UpdateItem', { TableName, Key: r.key, UpdateExpression: r.update?.expression, ...cond(r.condition), ...merged(r.update, r.condition), ReturnValues: 'ALL_NEW' });
          return fromItem(out.Attributes);
        }
        case 'DeleteItem': {
          const out = await send('DeleteItem', { TableName, Key: r.key, ...cond(r.condition), ...merged(r.condition), ReturnValues: 'ALL_OLD' });
          return fromItem(out.Attributes);
        }
        case 'Query':
        case 'Scan': {
          const common = {
            TableName,
            IndexName: r.index,
            Limit: r.limit,
            ExclusiveStartKey: fromToken(r.nextToken),
            ConsistentRead: r.consistentRead,
            Select: r.select,
            ...(r.filter?.expression ? { FilterExpression: r.filter.expression } : {}),
            ...projection(r.projection),
          };
          const out =
            r.operation === 'Query'
              ? await send('Query', { ...common, KeyConditionExpression: r.query?.expression, ScanIndexForward: r.scanIndexForward, ...merged(r.query, r.filter, r.projection) })
              : await send('Scan', { ...common, Segment: r.segment, TotalSegments: r.totalSegments, ...merged(r.filter, r.projection) });
          return { items: (out.Items ?? []).map(fromItem), nextToken: token(out.LastEvaluatedKey), scannedCount: out.ScannedCount ?? 0 };
        }
        case 'BatchGetItem': {
          const tables = r.tables ?? {};
          const RequestItems = Object.fromEntries(Object.entries(tables).map(([t, v]) => [t, { Keys: v.keys, ConsistentRead: v.consistentRead }]));
          const out = await send('BatchGetItem', { RequestItems });
          const data = {};
          const unprocessedKeys = {};
          for (const [t, v] of Object.entries(tables)) {
            const found = out.Responses?.[t] ?? [];
            const matches = (item, key) => Object.keys(key).every((k) => JSON.stringify(item[k]) === JSON.stringify(key[k]));
            data[t] = v.keys.map((key) => fromItem(found.find((item) => matches(item, key)) ?? null));
            unprocessedKeys[t] = (out.UnprocessedKeys?.[t]?.Keys ?? []).map(fromItem);
          }
          return { data, unprocessedKeys };
        }
        case 'BatchPutItem':
        case 'BatchDeleteItem': {
          const put = r.operation === 'BatchPutItem';
          const RequestItems = Object.fromEntries(Object.entries(r.tables ?? {}).map(([t, list]) => [t, list.map((x) => (put ? { PutRequest: { Item: x } } : { DeleteRequest: { Key: x } }))]));
          const out = await send('BatchWriteItem', { RequestItems });
          const data = Object.fromEntries(Object.entries(r.tables ?? {}).map(([t, list]) => [t, list.map(fromItem)]));
          const unprocessed = Object.fromEntries(Object.keys(r.tables ?? {}).map((t) => [t, (out.UnprocessedItems?.[t] ?? []).map((w) => fromItem(put ? w.PutRequest?.Item : w.DeleteRequest?.Key))]));
          return put ? { data, unprocessedItems: unprocessed } : { data, unprocessedKeys: unprocessed };
        }
        case 'TransactGetItems': {
          const out = await send('TransactGetItems', { TransactItems: (r.transactItems ?? []).map((i) => ({ Get: { TableName: i.table, Key: i.key, ...projection(i.projection), ...merged(i.projection) } })) });
          return { items: (out.Responses ?? []).map((x) => fromItem(x.Item)), cancellationReasons: null };
        }
        case 'TransactWriteItems': {
          await send('TransactWriteItems', { TransactItems: (r.transactItems ?? []).map(transactItem) });
          return { keys: (r.transactItems ?? []).map((i) => fromItem(i.key)), cancellationReasons: null };
        }
        default:
          throw new StepError(`Unsupported operation '${r?.operation}' for the DynamoDB data source`, 'MappingTemplate');
      }
    } catch (err) {
      if (err instanceof StepError) throw err;
      const name = err?.name ?? 'InternalFailure';
      const message = name === 'ConditionalCheckFailedException' ? 'The conditional request failed' : (err?.message ?? String(err));
      throw new StepError(`${message} (Service: DynamoDb, Status Code: ${err?.$metadata?.httpStatusCode ?? 400}, Request ID: ${err?.$metadata?.requestId ?? 'null'})`, `DynamoDB:${name}`);
    }
  }

  // ------------------------------------------------------------------ HTTP

  /** A SHA-256 for @smithy/signature-v4, on node:crypto. */
  class Sha256 {
    constructor(secret) {
      this.h = secret ? createHmac('sha256', secret) : createHash('sha256');
    }
    update(data) {
      this.h.update(typeof data === 'string' ? Buffer.from(data) : data);
    }
    async digest() {
      return new Uint8Array(this.h.digest());
    }
  }

  /** AWS service hosts esb serves itself: an HTTP data source on Step Functions' API goes to esb's (StartSyncExecution too). */
  const LOCAL_SERVICE_HOSTS = [[/^(?:sync-)?states\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$/i, 'SFN']];
  function endpointBase(endpoint) {
    const url = new URL(endpoint);
    for (const [host, service] of LOCAL_SERVICE_HOSTS) {
      const local = host.test(url.hostname) ? endpointOf(service) : undefined;
      if (local) return new URL(local);
    }
    return url;
  }

  async function http(source, r) {
    const base = endpointBase(source.endpoint);
    const url = new URL(String(r?.resourcePath ?? '/'), base);
    for (const [k, v] of Object.entries(r?.params?.query ?? {})) url.searchParams.set(k, String(v));
    const method = String(r?.method ?? 'GET').toUpperCase();
    const body = r?.params?.body === undefined || r.params.body === null ? undefined : typeof r.params.body === 'string' ? r.params.body : JSON.stringify(r.params.body);
    let headers = Object.fromEntries(Object.entries(r?.params?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
    if (source.signing) {
      const { SignatureV4 } = await import('@smithy/signature-v4');
      const signer = new SignatureV4({ credentials: credentials(), region: source.signing.region, service: source.signing.service, sha256: Sha256 });
      const signed = await signer.sign({ method, protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: { ...headers, host: url.host }, body });
      headers = signed.headers;
    }
    let res;
    try {
      res = await fetch(url, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : body });
    } catch (err) {
      throw new StepError(`An error occurred while calling ${url.origin}: ${err?.cause?.message ?? err?.message ?? err}`, 'HTTP:RequestFailed');
    }
    return { statusCode: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
  }

  // ------------------------------------------------------------------ EventBridge

  async function eventbridge(source, r) {
    if (r?.operation !== 'PutEvents') throw new StepError(`Unsupported operation '${r?.operation}' for the EventBridge data source`, 'MappingTemplate');
    const { m, c } = await client('EVENTBRIDGE');
    const Entries = (r.events ?? []).map((e) => ({ EventBusName: source.bus, Source: e.source, DetailType: e.detailType, Detail: typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail ?? {}), Resources: e.resources, Time: e.time ? new Date(e.time) : undefined }));
    try {
      const out = await c.send(new m.PutEventsCommand({ Entries }));
      return { Entries: (out.Entries ?? []).map((e) => ({ EventId: e.EventId, ErrorCode: e.ErrorCode, ErrorMessage: e.ErrorMessage })), FailedEntryCount: out.FailedEntryCount ?? 0 };
    } catch (err) {
      throw new StepError(err?.message ?? String(err), `EventBridge:${err?.name ?? 'InternalFailure'}`);
    }
  }

  /** The result of a step's request on its data source. */
  function callDataSource(source, request) {
    switch (source.type) {
      case 'AWS_LAMBDA':
        return lambda(source, request);
      case 'AMAZON_DYNAMODB':
        return dynamodb(source, request);
      case 'NONE':
        return request?.payload ?? null;
      case 'HTTP':
        return http(source, request);
      case 'AMAZON_EVENTBRIDGE':
        return eventbridge(source, request);
      default:
        throw new StepError(`esb does not serve ${source.type} data sources`, 'InternalFailure');
    }
  }
  // ------------------------------------------------------------------ subscriptions

  const PUBLISH_WAIT_MS = 2_000;

  /**
   * Hands mutation results to the gateway's real-time endpoint (docs/appsync.md, "Subscriptions"):
   * `POST <Lambda endpoint>/appsync-api/<id>/publish`, signed for `appsync` as HTTP data sources
   * sign. Waits a short while at most; a failure is logged, never the mutation's.
   */
  async function publish(apiName, apiId, events) {
    const endpoint = endpointOf('LAMBDA');
    if (!endpoint || events.length === 0) return;
    const send = async (event) => {
      const url = new URL(`${endpoint.replace(/\/+$/, '')}/appsync-api/${encodeURIComponent(apiId)}/publish`);
      const body = JSON.stringify(event);
      const { SignatureV4 } = await import('@smithy/signature-v4');
      const signer = new SignatureV4({ credentials: credentials(), region: region(), service: 'appsync', sha256: Sha256 });
      const signed = await signer.sign({ method: 'POST', protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined, path: url.pathname, query: {}, headers: { 'content-type': 'application/json', host: url.host }, body });
      const res = await fetch(url, { method: 'POST', headers: signed.headers, body, signal: AbortSignal.timeout(PUBLISH_WAIT_MS) });
      if (!res.ok) throw new Error(`${res.status} ${(await res.text()).slice(0, 200)}`);
    };
    const all = Promise.allSettled(events.map(async (e) => {
      try {
        await send(e);
      } catch (err) {
        console.error(`appsync ${apiName}: publishing ${e.mutation} to subscribers failed: ${err?.cause?.message ?? err?.message ?? err}`);
      }
    }));
    await Promise.race([all, new Promise((r) => setTimeout(r, PUBLISH_WAIT_MS).unref())]);
  }

  return { invokeFunction, callDataSource, publish };
})();

// ================================================================== APPSYNC_JS modules

/** What the `@aws-appsync/utils` shims hand out, found through globalThis by the user's modules. */
Object.assign(globalThis[Symbol.for('esb.appsync.util')], {
  js: {
    util: { ...U.util, transform: { toDynamoDBFilter: (f) => D.conditionExpression(f), toDynamoDBConditionExpression: (c) => D.conditionExpression(c) } },
    runtime: U.runtime,
    extensions: U.extensions,
    dynamodb: D,
  },
});
const SHIM_SOURCES = {
  '@aws-appsync/utils': "const s = globalThis[Symbol.for('esb.appsync.util')].js;\nexport const { util, runtime, extensions } = s;\n",
  '@aws-appsync/utils/dynamodb': "const s = globalThis[Symbol.for('esb.appsync.util')].js.dynamodb;\nexport const { get, put, remove, update, query, scan, sync, operations } = s;\n",
};

let codeDir;
let shims;
const modules = new Map();

/**
 * The module of this APPSYNC_JS code (its `request` and `response`), loaded from a file of its
 * own once per code text; its imports of `@aws-appsync/utils` (a package of types only) and
 * `@aws-appsync/utils/dynamodb` point at esb's shims. Relative imports are not resolved: code must
 * be one module (as AppSync takes it).
 */
function loadModule(code) {
  let loaded = modules.get(code);
  if (!loaded) {
    if (!codeDir) {
      codeDir = mkdtempSync(join(tmpdir(), 'esb-appsync-code-'));
      const made = codeDir;
      process.once('exit', () => rmSync(made, { recursive: true, force: true }));
      shims = {};
      for (const [spec, text] of Object.entries(SHIM_SOURCES)) {
        const file = join(codeDir, `${spec.replace(/\W+/g, '-')}.mjs`);
        writeFileSync(file, text);
        shims[spec] = pathToFileURL(file).href;
      }
    }
    const file = join(codeDir, `${createHash('sha256').update(code).digest('hex').slice(0, 32)}.mjs`);
    writeFileSync(file, code.replace(/(\bfrom\s*|\bimport\s*\(?\s*)(['"])(@aws-appsync\/utils(?:\/dynamodb)?)\2/g, (all, lead, _q, spec) => `${lead}${JSON.stringify(shims[spec])}`));
    loaded = import(/* @vite-ignore */ pathToFileURL(file).href);
    modules.set(code, loaded);
  }
  return loaded;
}

const { EarlyReturn, StepError, steps } = U;
const { render, parseRendered } = V;
const { callDataSource, invokeFunction } = S;

// ================================================================== the API

const MAX_BODY_BYTES = 1024 * 1024;

const answer = (statusCode, body) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const unauthorized = (message = 'You are not authorized to make this call.') => answer(401, { errors: [{ errorType: 'UnauthorizedException', message }] });
const malformed = (message) => answer(400, { errors: [{ message, errorType: 'MalformedHttpRequestException' }] });

// ------------------------------------------------------------------ the API, read once

const AUTH_TYPES = ['API_KEY', 'AWS_IAM', 'AMAZON_COGNITO_USER_POOLS', 'OPENID_CONNECT', 'AWS_LAMBDA'];
const SOURCE_TYPES = ['AWS_LAMBDA', 'AMAZON_DYNAMODB', 'NONE', 'HTTP', 'AMAZON_EVENTBRIDGE'];

/** ESB_APPSYNC checked by hand (built-ins import no esb package): the AppSyncApi shape of crds/src/appsync.ts, its defaults filled in. */
function readConfig(text) {
  const api = JSON.parse(text ?? '');
  const fail = (what) => {
    throw new Error(`ESB_APPSYNC: ${what}`);
  };
  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(api)) fail('not an object');
  for (const k of ['name', 'api_id', 'schema']) if (typeof api[k] !== 'string' || api[k] === '') fail(`${k} must be a non-empty string`);
  if (!Array.isArray(api.auth) || api.auth.length === 0) fail('auth must list at least one mode');
  for (const m of api.auth) if (!AUTH_TYPES.includes(m?.type)) fail(`unknown auth type ${JSON.stringify(m?.type)}`);
  for (const m of api.auth) if (m.type === 'AWS_LAMBDA' && !m.function) fail('an AWS_LAMBDA auth mode needs its function');
  api.api_keys = api.api_keys ?? [];
  api.data_sources = api.data_sources ?? {};
  api.functions = api.functions ?? {};
  api.resolvers = api.resolvers ?? [];
  for (const [name, ds] of Object.entries(api.data_sources)) if (!SOURCE_TYPES.includes(ds?.type)) fail(`data source ${name}: unknown type ${JSON.stringify(ds?.type)}`);
  for (const [name, fn] of Object.entries(api.functions)) if (!Object.hasOwn(api.data_sources, fn?.data_source)) fail(`function ${name}: no data source ${JSON.stringify(fn?.data_source)}`);
  for (const r of api.resolvers) {
    if (!r?.type_name || !r?.field_name) fail('a resolver needs type_name and field_name');
    r.kind = r.kind ?? 'UNIT';
    r.functions = r.functions ?? [];
    const where = `resolver ${r.type_name}.${r.field_name}`;
    if (r.kind === 'UNIT' && !Object.hasOwn(api.data_sources, r.data_source)) fail(`${where}: no data source ${JSON.stringify(r.data_source)}`);
    if (r.kind === 'PIPELINE') for (const f of r.functions) if (!Object.hasOwn(api.functions, f)) fail(`${where}: no function ${JSON.stringify(f)}`);
  }
  return api;
}

/** The API as served: its config, schema (or why it has none) and resolvers by Type.field. */
function load() {
  let api;
  try {
    api = readConfig(process.env.ESB_APPSYNC);
  } catch (err) {
    console.error(`appsync: ${err.message}`);
    return { error: 'config' };
  }
  let schema;
  try {
    schema = buildApiSchema(api.schema);
  } catch (err) {
    console.error(`appsync ${api.name}: the schema does not build: ${err.message}`);
    return { api, error: 'schema', schemaError: err.message };
  }
  const resolvers = new Map(api.resolvers.map((r) => [`${r.type_name}.${r.field_name}`, r]));
  /** Mutations some subscription gets (`@aws_subscribe`): their results are published. */
  const published = new Set([...subscribedMutations(schema).values()].flat());
  return { api, schema, resolvers, published, fieldAuth: new Map() };
}

let served;

// ------------------------------------------------------------------ auth

const header = (event, name) => event.headers?.[name] ?? Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];
const ACCOUNT = () => process.env.AWS_ACCOUNT_ID ?? '123456789012';

async function decodeJwt(token) {
  const jose = await import('jose');
  try {
    return jose.decodeJwt(token.replace(/^Bearer\s+/i, ''));
  } catch {
    return undefined;
  }
}

/** A Lambda authorizer's answers by token, kept for their TTL. */
const authorizerCache = new Map();

/**
 * The request's auth: `{mode, identity, groups?, deniedFields?}`, or an answer refusing it. The mode
 * is the one its credential is for: a SigV4 Authorization (AWS_IAM), `x-api-key`, a JWT (user
 * pools / OIDC by issuer), else the Lambda authorizer's token.
 */
async function authenticate(api, event, request) {
  const modes = api.auth;
  const has = (type) => modes.find((m) => m.type === type);
  const authorization = header(event, 'authorization');
  const apiKey = header(event, 'x-api-key');
  const sourceIp = [event.requestContext?.http?.sourceIp ?? '127.0.0.1'];

  if (authorization && /^AWS4-HMAC-SHA256\s/.test(authorization) && has('AWS_IAM')) {
    // Accepted as is: the signature cannot be checked here (esb knows no caller's secret key).
    const accessKey = /Credential=([^/,\s]+)/.exec(authorization)?.[1] ?? 'unknown';
    const accountId = ACCOUNT();
    return { mode: 'AWS_IAM', identity: { accountId, cognitoIdentityPoolId: null, cognitoIdentityId: null, sourceIp, username: accessKey, userArn: `arn:aws:iam::${accountId}:user/${accessKey}`, cognitoIdentityAuthType: null, cognitoIdentityAuthProvider: null } };
  }
  if (apiKey !== undefined && has('API_KEY')) return api.api_keys.includes(apiKey) ? { mode: 'API_KEY', identity: null } : { refused: unauthorized() };
  if (authorization) {
    const claims = await decodeJwt(authorization);
    if (claims) {
      const issuer = String(claims.iss ?? '');
      const cognito = modes.find((m) => m.type === 'AMAZON_COGNITO_USER_POOLS' && (!m.user_pool_id || issuer.endsWith(`/${m.user_pool_id}`)));
      const oidc = modes.find((m) => m.type === 'OPENID_CONNECT' && issuer.replace(/\/$/, '') === m.issuer.replace(/\/$/, ''));
      const mode = cognito ?? oidc;
      if (mode) {
        // Not verified: a local emulator trusts the token's claims, but not an expired one.
        if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) return { refused: unauthorized('Token has expired.') };
        if (mode === cognito && mode.app_id_client_regex && !new RegExp(mode.app_id_client_regex).test(String(claims.client_id ?? claims.aud ?? ''))) return { refused: unauthorized() };
        if (mode === oidc && mode.client_id && ![].concat(claims.aud ?? claims.client_id ?? []).includes(mode.client_id)) return { refused: unauthorized() };
        const groups = [].concat(claims['cognito:groups'] ?? []);
        const identity =
          mode === cognito
            ? { sub: claims.sub, issuer, username: claims['cognito:username'] ?? claims.username ?? claims.sub, claims, sourceIp, defaultAuthStrategy: 'ALLOW', groups: groups.length ? groups : null }
            : { sub: claims.sub, issuer, claims };
        return { mode: mode.type, identity, groups };
      }
    }
    const lambda = has('AWS_LAMBDA');
    if (lambda) return lambdaAuth(api, lambda, authorization, request);
    return { refused: unauthorized() };
  }
  return { refused: unauthorized('Valid authorization header not provided.') };
}

async function lambdaAuth(api, mode, token, request) {
  if (mode.identity_validation_expression && !new RegExp(`^(?:${mode.identity_validation_expression})$`).test(token)) return { refused: unauthorized() };
  const cached = authorizerCache.get(token);
  let reply = cached && cached.until > Date.now() ? cached.reply : undefined;
  if (!reply) {
    const event = { authorizationToken: token, requestContext: { apiId: api.api_id, accountId: ACCOUNT(), requestId: request.requestId, queryString: request.query, operationName: request.operationName ?? null, variables: request.variables ?? {} }, requestHeaders: request.headers };
    try {
      reply = await invokeFunction(mode.function, event);
    } catch (err) {
      console.error(`appsync ${api.name}: the Lambda authorizer ${mode.function} failed: ${err?.message ?? err}`);
      return { refused: unauthorized() };
    }
    const ttl = Number.isInteger(reply?.ttlOverride) ? reply.ttlOverride : (mode.ttl_seconds ?? 300);
    if (ttl > 0 && reply?.isAuthorized === true) authorizerCache.set(token, { reply, until: Date.now() + ttl * 1000 });
  }
  if (reply?.isAuthorized !== true) return { refused: unauthorized() };
  const denied = new Set((reply.deniedFields ?? []).map((f) => String(f).replace(/^arn:aws:appsync:[^:]*:[^:]*:apis\/[^/]+\/types\/([^/]+)\/fields\/(.+)$/, '$1.$2')));
  return { mode: 'AWS_LAMBDA', identity: { resolverContext: reply.resolverContext ?? {} }, deniedFields: denied };
}

/** Whether this request may resolve this field: its directives, else its type's, else the default mode only. */
function fieldAllowed(state, auth, parentType, fieldName) {
  const key = `${parentType.name}.${fieldName}`;
  if (auth.deniedFields?.has(key)) return false;
  let rules = state.fieldAuth.get(key);
  if (!rules) {
    const field = parentType.getFields()[fieldName];
    rules = authOf(field?.astNode);
    if (!rules.length) rules = [parentType.astNode, ...(parentType.extensionASTNodes ?? [])].flatMap(authOf);
    if (!rules.length) rules = [{ mode: state.api.auth[0].type }];
    state.fieldAuth.set(key, rules);
  }
  return rules.some((r) => r.mode === auth.mode && (!r.groups || r.groups.some((g) => auth.groups?.includes(g))));
}

// ------------------------------------------------------------------ resolvers

/** `info.selectionSetList`: the selected fields' paths, nested ones as `a/b`. */
function selectionList(selectionSet, fragments, prefix = '', out = []) {
  for (const sel of selectionSet?.selections ?? []) {
    if (sel.kind === Kind.FIELD) {
      if (sel.name.value === '__typename') continue;
      const path = `${prefix}${sel.name.value}`;
      if (!out.includes(path)) out.push(path);
      if (sel.selectionSet) selectionList(sel.selectionSet, fragments, `${path}/`, out);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) selectionList(sel.selectionSet, fragments, prefix, out);
    else if (sel.kind === Kind.FRAGMENT_SPREAD && fragments[sel.name.value]) selectionList(fragments[sel.name.value].selectionSet, fragments, prefix, out);
  }
  return out;
}

function contextFor(source, args, request, info) {
  const node = info.fieldNodes[0];
  return {
    arguments: args,
    args,
    source: source ?? null,
    identity: request.auth.identity,
    request: { headers: request.headers, domainName: null },
    info: {
      fieldName: info.fieldName,
      parentTypeName: info.parentType.name,
      variables: request.variables ?? {},
      selectionSetList: selectionList(node.selectionSet, info.fragments),
      selectionSetGraphQL: node.selectionSet ? print(node.selectionSet) : '',
    },
    stash: {},
    prev: undefined,
    result: undefined,
    error: undefined,
  };
}

const errorOf = (err) => ({ message: err.gql.message, type: err.gql.errorType, data: err.gql.data, info: err.gql.errorInfo });

/** One step on its data source (a unit resolver, a pipeline function): its result. */
async function runStep(state, step, ctx, where) {
  const source = state.api.data_sources[step.data_source];
  ctx.result = undefined;
  ctx.error = undefined;
  if (step.js !== undefined) {
    const code = await loadModule(step.js);
    let request;
    try {
      request = await code.request?.(ctx);
    } catch (err) {
      if (err instanceof EarlyReturn) return err.value;
      throw err;
    }
    try {
      ctx.result = await callDataSource(source, request);
    } catch (err) {
      if (!(err instanceof StepError) || typeof code.response !== 'function') throw err;
      ctx.error = errorOf(err);
    }
    if (typeof code.response !== 'function') return ctx.result;
    try {
      return await code.response(ctx);
    } catch (err) {
      if (err instanceof EarlyReturn) return err.value;
      throw err;
    }
  }
  if (step.request_template !== undefined || step.response_template !== undefined) {
    let request = null;
    if (step.request_template !== undefined) {
      const rendered = await render(step.request_template, ctx);
      if ('returned' in rendered) return rendered.returned;
      request = parseRendered(rendered.text);
    }
    try {
      ctx.result = await callDataSource(source, request);
    } catch (err) {
      // 2017-02-28 templates get the error raised; later ones see it in $ctx.error.
      if (!(err instanceof StepError) || step.response_template === undefined || request?.version === '2017-02-28') throw err;
      ctx.error = errorOf(err);
    }
    if (step.response_template === undefined) return ctx.result;
    const rendered = await render(step.response_template, ctx);
    return 'returned' in rendered ? rendered.returned : parseRendered(rendered.text);
  }
  if (source.type !== 'AWS_LAMBDA') throw new StepError(`${where}: a resolver on a ${source.type} data source needs code (APPSYNC_JS or mapping templates)`, 'MappingTemplate');
  // A direct Lambda resolver: AppSync's own event, the function's answer as the result.
  const event = { arguments: ctx.arguments, identity: ctx.identity, source: ctx.source, request: ctx.request, prev: ctx.prev ?? null, info: ctx.info, stash: ctx.stash };
  if (step.max_batch_size > 0) {
    const answers = await invokeFunction(source.function, [event]);
    return Array.isArray(answers) ? answers[0] : answers;
  }
  return invokeFunction(source.function, event);
}

/** A pipeline resolver: its before step, its functions in order, its after step. */
async function runPipeline(state, resolver, ctx, where) {
  let before = {};
  let code;
  if (resolver.js !== undefined) {
    code = await loadModule(resolver.js);
    try {
      before = (await code.request?.(ctx)) ?? {};
    } catch (err) {
      if (err instanceof EarlyReturn) return err.value;
      throw err;
    }
  } else if (resolver.request_template !== undefined) {
    const rendered = await render(resolver.request_template, ctx);
    if ('returned' in rendered) return rendered.returned;
    before = parseRendered(rendered.text);
  }
  ctx.prev = { result: before };
  for (const name of resolver.functions) ctx.prev = { result: await runStep(state, state.api.functions[name], ctx, `${where} (function ${name})`) };
  ctx.result = ctx.prev.result;
  ctx.error = undefined;
  if (typeof code?.response === 'function') {
    try {
      return await code.response(ctx);
    } catch (err) {
      if (err instanceof EarlyReturn) return err.value;
      throw err;
    }
  }
  if (resolver.js === undefined && resolver.response_template !== undefined) {
    const rendered = await render(resolver.response_template, ctx);
    return 'returned' in rendered ? rendered.returned : parseRendered(rendered.text);
  }
  return ctx.prev.result;
}

function fieldResolverOf(state) {
  return async (source, args, request, info) => {
    const { parentType, fieldName } = info;
    if (!parentType.name.startsWith('__') && !fieldAllowed(state, request.auth, parentType, fieldName)) throw new StepError(`Not Authorized to access ${fieldName} on type ${parentType.name}`, 'Unauthorized');
    const resolver = state.resolvers.get(`${parentType.name}.${fieldName}`);
    if (!resolver) return source !== null && typeof source === 'object' ? defaultFieldResolver(source, args, request, info) : null;
    const where = `${parentType.name}.${fieldName}`;
    const step = { errors: [] };
    try {
      return await steps.run(step, () => {
        const ctx = contextFor(source, args, request, info);
        return resolver.kind === 'PIPELINE' ? runPipeline(state, resolver, ctx, where) : runStep(state, resolver, ctx, where);
      });
    } catch (err) {
      if (!(err instanceof StepError)) console.error(`appsync ${state.api.name}: ${where} failed: ${err?.stack ?? err}`);
      throw err;
    } finally {
      for (const e of step.errors) request.appended.push(new GraphQLError(e.message, { nodes: info.fieldNodes, path: pathOf(info.path), originalError: new StepError(e.message, e.errorType, e.data, e.errorInfo) }));
    }
  };
}

const pathOf = (path) => {
  const out = [];
  for (let p = path; p; p = p.prev) out.unshift(p.key);
  return out;
};

/** A union's or interface's type: the result's `__typename`, as AppSync reads it. */
const typeResolver = (value) => (value !== null && typeof value === 'object' ? value.__typename : undefined);

// ------------------------------------------------------------------ the answer

/** An error as AppSync writes it. */
function shaped(err) {
  const own = err.originalError?.gql;
  let message = own?.message ?? err.message;
  const m = /^Cannot return null for non-nullable field (\w+)\.(\w+)\.$/.exec(message);
  if (m && !own) message = `Cannot return null for non-nullable type: '${served.schema.getType(m[1])?.getFields()[m[2]]?.type?.toString().replace(/!$/, '') ?? 'null'}' within parent '${m[1]}' (/${(err.path ?? []).join('/')})`;
  return {
    path: err.path ?? null,
    data: own?.data ?? null,
    errorType: own?.errorType ?? null,
    errorInfo: own?.errorInfo ?? null,
    locations: (err.locations ?? []).map((l) => ({ line: l.line, column: l.column, sourceName: null })),
    message,
  };
}

/** Errors of the request itself (syntax, validation): no data. */
const requestErrors = (errors, errorType) => answer(200, { data: null, errors: errors.map((e) => ({ path: null, locations: (e.locations ?? []).map((l) => ({ line: l.line, column: l.column, sourceName: null })), message: e.message, errorType })) });

/** The results of a mutation's top-level fields that subscriptions get: `{apiId, mutation, data}` each (a null result is not published). */
function publications(published, operation, document, data) {
  const fragments = Object.fromEntries(document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const out = [];
  const seen = new Set();
  const walk = (selectionSet) => {
    for (const sel of selectionSet.selections) {
      if (sel.kind === Kind.INLINE_FRAGMENT) walk(sel.selectionSet);
      else if (sel.kind === Kind.FRAGMENT_SPREAD) fragments[sel.name.value] && walk(fragments[sel.name.value].selectionSet);
      else {
        const key = sel.alias?.value ?? sel.name.value;
        if (!published.has(sel.name.value) || seen.has(key) || data[key] === null || data[key] === undefined) continue;
        seen.add(key);
        out.push({ apiId: served.api.api_id, mutation: sel.name.value, data: data[key] });
      }
    }
  };
  walk(operation.selectionSet);
  return out;
}

export const handler = async (event) => {
  served ??= load();
  if (served.error === 'config') return answer(500, { errors: [{ errorType: 'InternalFailure', message: 'An internal failure occurred.' }] });
  if (served.error === 'schema') return answer(400, { errors: [{ errorType: 'BadRequestException', message: `Schema is not configured: ${served.schemaError}` }] });
  const { api, schema } = served;

  let body = event.body ?? '';
  if (event.isBase64Encoded) body = Buffer.from(body, 'base64').toString('utf8');
  if (Buffer.byteLength(body) > MAX_BODY_BYTES) return answer(413, { errors: [{ errorType: 'PayloadTooLargeException', message: 'Request body is larger than 1 MiB.' }] });
  let doc;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    return malformed(`Unable to parse GraphQL query: ${err.message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || typeof doc.query !== 'string' || doc.query.trim() === '') return malformed('Unable to parse GraphQL query: the request has no query.');
  const variables = doc.variables === undefined || doc.variables === null ? {} : doc.variables;
  if (typeof variables !== 'object' || Array.isArray(variables)) return malformed('Unable to parse GraphQL query: variables must be an object.');

  const headers = { ...(event.headers ?? {}) };
  const request = { requestId: event.requestContext?.requestId ?? randomUUID(), query: doc.query, operationName: doc.operationName ?? null, variables, headers, appended: [] };
  const auth = await authenticate(api, event, request);
  if (auth.refused) return auth.refused;
  request.auth = auth;

  let document;
  try {
    document = parse(doc.query);
  } catch (err) {
    return requestErrors([err], 'InvalidSyntax');
  }
  const invalidQuery = validate(schema, document, specifiedRules);
  if (invalidQuery.length) return requestErrors(invalidQuery, 'ValidationError');
  const operation = getOperationAST(document, request.operationName ?? undefined);
  if (!operation) return requestErrors([new GraphQLError(request.operationName ? `Unknown operation named '${request.operationName}'.` : 'Must provide operation name if query contains multiple operations.')], 'ValidationError');
  if (operation.operation === 'subscription') return requestErrors([new GraphQLError('Subscriptions are not served over HTTP: connect to the API with the AppSync real-time WebSocket protocol.', { nodes: [operation] })], 'UnsupportedOperation');

  const result = await execute({ schema, document, variableValues: variables, operationName: request.operationName ?? undefined, contextValue: request, fieldResolver: fieldResolverOf(served), typeResolver });
  if (operation.operation === 'mutation' && result.data && served.published.size > 0) await S.publish(api.name, api.api_id, publications(served.published, operation, document, result.data));
  const errors = [...(result.errors ?? []), ...request.appended].map(shaped);
  return answer(200, errors.length ? { data: result.data ?? null, errors } : { data: result.data ?? null });
};
