// Amazon Data Firehose delivery streams in each form code meets them (docs/firehose.md): a
// template's `!Ref Stream` is the name and `!GetAtt Stream.Arn` the ARN; the API (AWS JSON 1.1,
// X-Amz-Target `Firehose_20150804.<Action>`) is served on the storage's SQS port and answered by
// the agent. Also the S3 object names Firehose writes: a prefix with `!{namespace:value}`
// expressions, checked when the template is read and evaluated when an object is written.
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './defaults.js';

/** A delivery stream's name as Firehose takes it: 1-64 letters, digits, `_`, `.` and `-`. */
export const DELIVERY_STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

/** The largest record Firehose takes, before base64 (1,000 KiB). */
export const FIREHOSE_MAX_RECORD_BYTES = 1_024_000;
/** PutRecordBatch: at most 500 records and 4 MiB of data. */
export const FIREHOSE_MAX_BATCH_RECORDS = 500;
export const FIREHOSE_MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** `arn:aws:firehose:<region>:<account>:deliverystream/<name>`: what a template's `!GetAtt Stream.Arn` gives. */
export function deliveryStreamArn(name: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT_ID): string {
  return `arn:aws:firehose:${region}:${account}:deliverystream/${name}`;
}

/** The delivery stream a delivery stream ARN names; undefined for anything else. */
export function deliveryStreamNameOf(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:firehose:[a-z0-9-]*:\d{12}:deliverystream\/([a-zA-Z0-9_.-]{1,64})$/.exec(arn);
  return m?.[1];
}

// ---------------------------------------------------------------- S3 object names

/** A prefix that Firehose would refuse; `message` says why. */
export class FirehosePrefixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FirehosePrefixError';
  }
}

type TimeToken = { literal: string } | { letter: string; count: number };
type PrefixPart = { text: string } | { time: TimeToken[] } | { firehose: 'error-output-type' | 'random-string' } | { partition: string };

interface ParsedPrefix {
  parts: PrefixPart[];
  expressions: boolean;
  timestamp: boolean;
  errorType: boolean;
  partitioned: boolean;
}

/** What each pattern letter esb evaluates means (Java's DateTimeFormatter, UTC). */
const TIME_LETTERS = new Set(['y', 'u', 'M', 'L', 'd', 'D', 'H', 'h', 'k', 'K', 'm', 's', 'S', 'E', 'a']);
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** A `!{timestamp:...}` value: Java DateTimeFormatter letters, `'quoted'` text taken as it is. */
function parseTimePattern(pattern: string): TimeToken[] {
  const out: TimeToken[] = [];
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i];
    if (c === "'") {
      if (pattern[i + 1] === "'") {
        out.push({ literal: "'" });
        i += 2;
        continue;
      }
      // Quoted text; '' in it is a quote.
      let j = i + 1;
      let text = '';
      for (;;) {
        if (j >= pattern.length) throw new FirehosePrefixError(`!{timestamp:${pattern}}: a quote is not closed`);
        if (pattern[j] === "'") {
          if (pattern[j + 1] !== "'") break;
          text += "'";
          j += 2;
          continue;
        }
        text += pattern[j++];
      }
      out.push({ literal: text });
      i = j + 1;
    } else if (/[A-Za-z]/.test(c)) {
      if (!TIME_LETTERS.has(c)) throw new FirehosePrefixError(`!{timestamp:${pattern}}: the pattern letter "${c}" is not one esb evaluates (y u M d D H h k K m s S E a)`);
      let n = 1;
      while (pattern[i + n] === c) n++;
      out.push({ letter: c, count: n });
      i += n;
    } else if ('[]{}#'.includes(c)) {
      throw new FirehosePrefixError(`!{timestamp:${pattern}}: "${c}" is reserved in a timestamp pattern`);
    } else {
      out.push({ literal: c });
      i++;
    }
  }
  return out;
}

/** Parses a Prefix or ErrorOutputPrefix; throws FirehosePrefixError for what Firehose refuses. */
function parsePrefix(text: string): ParsedPrefix {
  const parsed: ParsedPrefix = { parts: [], expressions: false, timestamp: false, errorType: false, partitioned: false };
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf('!{', i);
    if (at < 0) {
      parsed.parts.push({ text: text.slice(i) });
      break;
    }
    if (at > i) parsed.parts.push({ text: text.slice(i, at) });
    const end = text.indexOf('}', at);
    if (end < 0) throw new FirehosePrefixError(`"${text}": the expression at ${at} has no closing "}"`);
    const body = text.slice(at + 2, end);
    const colon = body.indexOf(':');
    const namespace = colon < 0 ? body : body.slice(0, colon);
    const value = colon < 0 ? '' : body.slice(colon + 1);
    parsed.expressions = true;
    if (namespace === 'timestamp') {
      if (value === '') throw new FirehosePrefixError(`"${text}": !{timestamp:...} needs a pattern`);
      parsed.parts.push({ time: parseTimePattern(value) });
      parsed.timestamp = true;
    } else if (namespace === 'firehose') {
      if (value !== 'error-output-type' && value !== 'random-string') throw new FirehosePrefixError(`"${text}": !{firehose:${value}} is not error-output-type or random-string`);
      parsed.parts.push({ firehose: value });
      if (value === 'error-output-type') parsed.errorType = true;
    } else if (namespace === 'partitionKeyFromQuery' || namespace === 'partitionKeyFromLambda') {
      parsed.parts.push({ partition: `${namespace}:${value}` });
      parsed.partitioned = true;
    } else {
      throw new FirehosePrefixError(`"${text}": !{${namespace}:...} is not a namespace Firehose knows (timestamp, firehose, partitionKeyFromQuery, partitionKeyFromLambda)`);
    }
    i = end + 1;
  }
  return parsed;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function formatTime(tokens: readonly TimeToken[], ms: number): string {
  const d = new Date(ms);
  let out = '';
  for (const t of tokens) {
    if ('literal' in t) {
      out += t.literal;
      continue;
    }
    const n = t.count;
    const hour = d.getUTCHours();
    switch (t.letter) {
      case 'y':
      case 'u':
        out += n === 2 ? pad(d.getUTCFullYear() % 100, 2) : pad(d.getUTCFullYear(), n);
        break;
      case 'M':
      case 'L':
        out += n >= 4 ? MONTHS[d.getUTCMonth()] : n === 3 ? MONTHS[d.getUTCMonth()].slice(0, 3) : pad(d.getUTCMonth() + 1, n);
        break;
      case 'd':
        out += pad(d.getUTCDate(), n);
        break;
      case 'D':
        out += pad(Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, n);
        break;
      case 'H':
        out += pad(hour, n);
        break;
      case 'h':
        out += pad(hour % 12 === 0 ? 12 : hour % 12, n);
        break;
      case 'k':
        out += pad(hour === 0 ? 24 : hour, n);
        break;
      case 'K':
        out += pad(hour % 12, n);
        break;
      case 'm':
        out += pad(d.getUTCMinutes(), n);
        break;
      case 's':
        out += pad(d.getUTCSeconds(), n);
        break;
      case 'S':
        out += pad(d.getUTCMilliseconds(), 3).padEnd(n, '0').slice(0, n);
        break;
      case 'E':
        out += n >= 4 ? DAYS[d.getUTCDay()] : DAYS[d.getUTCDay()].slice(0, 3);
        break;
      case 'a':
        out += hour < 12 ? 'AM' : 'PM';
        break;
    }
  }
  return out;
}

/** What Firehose appends to a Prefix without a timestamp expression. */
const DEFAULT_TIME: PrefixPart = { time: parseTimePattern('yyyy/MM/dd/HH/') };

/** Where a delivery stream writes, both kinds of object: prefixes checked, ready to evaluate. */
export interface FirehoseObjectNames {
  /** A prefix uses dynamic partitioning (partitionKeyFrom...), which esb does not evaluate. */
  partitioned: boolean;
  /** `<evaluated Prefix>` of delivered records (the oldest record's arrival time, UTC). */
  delivered(time: number, random: () => string): string;
  /** `<evaluated ErrorOutputPrefix>` of records that failed (`processing-failed`). */
  failed(time: number, errorType: string, random: () => string): string;
}

/**
 * Firehose's rules for Prefix and ErrorOutputPrefix (docs/firehose.md, "Object names"): a Prefix
 * without a timestamp expression gets `yyyy/MM/dd/HH/` appended; no ErrorOutputPrefix is allowed
 * only when Prefix has no expressions, and means `<Prefix><error-output-type>/yyyy/MM/dd/HH/`;
 * an ErrorOutputPrefix with expressions names `!{firehose:error-output-type}`. Throws
 * FirehosePrefixError with `field` set to the one at fault.
 */
export function firehoseObjectNames(prefix: string, errorOutputPrefix: string | undefined): FirehoseObjectNames {
  const ok = withField('Prefix', () => parsePrefix(prefix));
  if (ok.errorType) throw fieldError('Prefix', `"${prefix}": !{firehose:error-output-type} may appear in ErrorOutputPrefix only`);
  const okParts = ok.timestamp ? ok.parts : [...ok.parts, DEFAULT_TIME];
  let failParts: PrefixPart[];
  let partitioned = ok.partitioned;
  if (errorOutputPrefix === undefined || errorOutputPrefix === '') {
    if (ok.expressions) throw fieldError('ErrorOutputPrefix', 'missing: Firehose needs one when Prefix has expressions');
    failParts = [{ text: prefix }, { firehose: 'error-output-type' }, { text: '/' }, DEFAULT_TIME];
  } else {
    const failed = withField('ErrorOutputPrefix', () => parsePrefix(errorOutputPrefix));
    if (failed.partitioned) throw fieldError('ErrorOutputPrefix', `"${errorOutputPrefix}": partitionKeyFromQuery and partitionKeyFromLambda may appear in Prefix only`);
    if (failed.expressions && !failed.errorType) throw fieldError('ErrorOutputPrefix', `"${errorOutputPrefix}": an ErrorOutputPrefix with expressions must hold !{firehose:error-output-type}`);
    failParts = failed.expressions ? failed.parts : [...failed.parts, { firehose: 'error-output-type' }, { text: '/' }, DEFAULT_TIME];
    partitioned ||= failed.partitioned;
  }
  const evaluate = (parts: readonly PrefixPart[], time: number, errorType: string, random: () => string) =>
    parts.map((p) => ('text' in p ? p.text : 'time' in p ? formatTime(p.time, time) : 'firehose' in p ? (p.firehose === 'random-string' ? random() : errorType) : '')).join('');
  return {
    partitioned,
    delivered: (time, random) => evaluate(okParts, time, '', random),
    failed: (time, errorType, random) => evaluate(failParts, time, errorType, random),
  };
}

function fieldError(field: string, message: string): FirehosePrefixError & { field: string } {
  return Object.assign(new FirehosePrefixError(message), { field });
}

function withField<T>(field: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof FirehosePrefixError && !('field' in err)) throw fieldError(field, err.message);
    throw err;
  }
}

/** The object name after the prefix: `<name>-1-YYYY-MM-DD-HH-MM-SS-<uuid><extension>`, UTC. */
export function firehoseObjectSuffix(name: string, time: number, uuid: string, extension = ''): string {
  const d = new Date(time);
  const t = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map((n, i) => pad(n, i === 0 ? 4 : 2)).join('-');
  return `${name}-1-${t}-${uuid}${extension}`;
}
