// The function's console as Lambda's Node runtime sets it up (docs/agent.md, "Log lines"):
// every console method writes one log event to stdout, `time<TAB>requestId<TAB>LEVEL<TAB>text`
// (or a JSON object when AWS_LAMBDA_LOG_FORMAT is JSON), with the text's newlines written as
// carriage returns so that a multi-line message (an object, a stack) stays one event.
// AWS_LAMBDA_LOG_LEVEL turns off the methods below it.
import { format } from 'node:util';

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];

/** The request id log lines carry: Lambda's runtime keeps it under this global symbol (undefined while the module loads). */
const REQUEST_ID = Symbol.for('aws.lambda.runtime.requestId');

/** An Error as JSON.stringify would otherwise lose it: its name, message and stack lines, with its own fields. */
function errorFields(value) {
  if (!(value instanceof Error)) return value;
  return Object.assign(
    { errorType: value?.constructor?.name ?? 'UnknownError', errorMessage: value.message, stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack },
    value,
  );
}

function jsonLine(level, params) {
  const record = { timestamp: new Date().toISOString(), level, requestId: globalThis[REQUEST_ID] };
  if (params.length === 1) {
    record.message = params[0];
    try {
      return JSON.stringify(record, (_key, value) => errorFields(value));
    } catch {
      record.message = format(params[0]);
      return JSON.stringify(record);
    }
  }
  record.message = format(...params);
  const err = params.find((p) => p instanceof Error);
  if (err) Object.assign(record, { errorType: err?.constructor?.name ?? 'UnknownError', errorMessage: err.message, stackTrace: typeof err.stack === 'string' ? err.stack.split('\n') : [] });
  return JSON.stringify(record);
}

/** An error as the runtime's own "Invoke Error" lines show it in text: a tab, then its JSON with the stack as lines. */
function formattedError(err) {
  const withFields = (value) => {
    if (!(value instanceof Error)) return value;
    const out = Object.assign({ errorType: value.name, errorMessage: value.message, code: value.code }, value);
    if (typeof value.stack === 'string') out.stack = value.stack.split('\n');
    return out;
  };
  try {
    return `\t${JSON.stringify(err, (_key, value) => withFields(value))}`;
  } catch {
    return `\t${JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: String(err.stack ?? '').split('\n') })}`;
  }
}

/**
 * Replaces console's methods. Returns the setter of the current request id and the writer of
 * the runtime's own error lines ("Invoke Error", "Uncaught Exception", ...).
 */
export function patchConsole(env) {
  const json = env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const lowest = Math.max(0, LEVELS.indexOf(env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase() ?? 'TRACE'));
  const write = json
    ? (level, params) => process.stdout.write(`${jsonLine(level, params).replace(/\n/g, '\r')}\n`)
    : (level, params) => process.stdout.write(`${`${new Date().toISOString()}\t${globalThis[REQUEST_ID]}\t${level}\t${format(...params)}`.replace(/\n/g, '\r')}\n`);
  const method = (level) => (LEVELS.indexOf(level) >= lowest ? (...params) => write(level, params) : () => {});
  console.trace = method('TRACE');
  console.debug = method('DEBUG');
  console.info = method('INFO');
  console.log = console.info;
  console.warn = method('WARN');
  console.error = method('ERROR');
  console.fatal = (...params) => write('FATAL', params);
  return {
    setRequestId: (id) => {
      globalThis[REQUEST_ID] = id;
    },
    logError: (label, err) => {
      const error = err instanceof Error ? err : new Error(err);
      if (json) console.error(error);
      else console.error(label, formattedError(error));
    },
  };
}
