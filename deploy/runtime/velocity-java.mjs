// What API Gateway's and AppSync's Velocity templates share (docs/gateway.md "AWS integrations
// (REST APIs)", docs/appsync.md): the bounds a template may not pass, Java's methods on values
// (`$s.split(...)`, `$list.add(...)`, `$map.put(...)`), which templates call as if the data were
// Java objects, and the bounded compiler. Shipped beside the built-in functions that import it.

/** API Gateway's quota on one #foreach; the rest bound what a template can cost (no template can hang the function). */
export const LIMITS = { foreachItems: 1000, loopItems: 100_000, textChars: 10 * 1024 * 1024, renderMillis: 5000 };

/** A template went past LIMITS. */
export class TemplateLimitError extends Error {}

/** Objects whose methods are their own ($util, $input and their parts), not Java's. */
export class Tool {}
export const tool = (methods) => Object.assign(Object.create(Tool.prototype), methods);

export const bounded = (value) => {
  if (typeof value === 'string' && value.length > LIMITS.textChars) throw new TemplateLimitError(`a text of more than ${LIMITS.textChars} characters`);
  return value;
};

// ------------------------------------------------------------------ values as Java shows them

/** A value as Velocity writes it out: maps as {k=v, ...}, lists as [a, b] (Java's toString). */
export function javaText(value) {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(javaText).join(', ')}]`;
  if (typeof value === 'object') return `{${Object.keys(value).map((k) => `${k}=${javaText(value[k])}`).join(', ')}}`;
  return String(value);
}

/** A Java regex replacement (`$1`, `${name}`, `\\$` for a dollar) in JavaScript's syntax. */
export function javaReplacement(text) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      i++;
      out += text[i] === '$' ? '$$' : text[i];
    } else if (c === '$' && /[0-9]/.test(text[i + 1] ?? '')) out += c;
    else if (c === '$' && text[i + 1] === '{' && text.indexOf('}', i) > i) {
      const end = text.indexOf('}', i);
      out += `$<${text.slice(i + 2, end)}>`;
      i = end;
    } else out += c === '$' ? '$$' : c;
  }
  return out;
}

/** String.split(regex, limit) as Java does it: no captured groups, trailing empty strings dropped when limit is 0. */
export function javaSplit(s, pattern, limit = 0) {
  const parts = [];
  const rx = new RegExp(String(pattern), 'g');
  let last = 0;
  for (let m = rx.exec(s); m && (limit <= 0 || parts.length < limit - 1); m = rx.exec(s)) {
    if (m[0] === '') {
      rx.lastIndex++;
      if (m.index === 0 || m.index >= s.length) continue;
    }
    parts.push(s.slice(last, m.index));
    last = m.index + m[0].length;
  }
  parts.push(s.slice(last));
  if (limit === 0) while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Java String methods JavaScript has under the same name and meaning. */
const SAME_STRING_METHODS = new Set(['substring', 'indexOf', 'lastIndexOf', 'startsWith', 'endsWith', 'toLowerCase', 'toUpperCase', 'trim', 'charAt', 'concat']);

export function stringMethod(s, name, args) {
  switch (name) {
    case 'length':
      return s.length;
    case 'isEmpty':
      return s.length === 0;
    case 'equals':
      return s === args[0];
    case 'equalsIgnoreCase':
      return typeof args[0] === 'string' && s.toLowerCase() === args[0].toLowerCase();
    case 'contains':
      return s.includes(String(args[0]));
    case 'matches':
      return new RegExp(`^(?:${args[0]})$`).test(s);
    case 'replaceAll':
      return s.replace(new RegExp(String(args[0]), 'g'), javaReplacement(String(args[1])));
    case 'replaceFirst':
      return s.replace(new RegExp(String(args[0])), javaReplacement(String(args[1])));
    case 'replace':
      return s.split(String(args[0])).join(String(args[1]));
    case 'split':
      return javaSplit(s, args[0], args[1]);
    case 'toString':
      return s;
    default:
      return SAME_STRING_METHODS.has(name) ? String.prototype[name].apply(s, args) : undefined;
  }
}

export function listMethod(list, name, args) {
  switch (name) {
    case 'size':
      return list.length;
    case 'isEmpty':
      return list.length === 0;
    case 'get':
      return list[args[0]];
    case 'contains':
      return list.includes(args[0]);
    case 'indexOf':
      return list.indexOf(args[0]);
    case 'add':
      if (list.length >= LIMITS.loopItems) throw new TemplateLimitError(`a list of more than ${LIMITS.loopItems} items`);
      if (args.length === 2) list.splice(args[0], 0, args[1]);
      else list.push(args[0]);
      return true;
    case 'addAll':
      if (list.length + [].concat(args[0] ?? []).length > LIMITS.loopItems) throw new TemplateLimitError(`a list of more than ${LIMITS.loopItems} items`);
      list.push(...[].concat(args[0] ?? []));
      return true;
    case 'set': {
      const old = list[args[0]];
      list[args[0]] = args[1];
      return old;
    }
    case 'remove':
      return typeof args[0] === 'number' ? list.splice(args[0], 1)[0] : list.indexOf(args[0]) >= 0 && list.splice(list.indexOf(args[0]), 1).length > 0;
    case 'subList':
      return list.slice(args[0], args[1]);
    case 'toString':
      return javaText(list);
    default:
      return undefined;
  }
}

export function mapMethod(map, name, args) {
  const own = (k) => Object.hasOwn(map, k);
  switch (name) {
    case 'get':
      return own(args[0]) ? map[args[0]] : undefined;
    case 'containsKey':
      return own(args[0]);
    case 'keySet':
      return Object.keys(map);
    case 'values':
      return Object.values(map);
    case 'entrySet':
      return Object.keys(map).map((key) => ({ key, value: map[key] }));
    case 'size':
      return Object.keys(map).length;
    case 'isEmpty':
      return Object.keys(map).length === 0;
    case 'put': {
      const old = own(args[0]) ? map[args[0]] : undefined;
      Object.defineProperty(map, String(args[0]), { value: args[1], enumerable: true, writable: true, configurable: true });
      return old;
    }
    case 'putAll':
      for (const [k, v] of Object.entries(args[0] ?? {})) Object.defineProperty(map, k, { value: v, enumerable: true, writable: true, configurable: true });
      return undefined;
    case 'remove': {
      const old = own(args[0]) ? map[args[0]] : undefined;
      delete map[args[0]];
      return old;
    }
    case 'toString':
      return javaText(map);
    default:
      return undefined;
  }
}

/** A method called on a value of the data ($input.path results, strings, numbers): Java's meaning, never JavaScript's. */
export function javaMethod(target, name, args) {
  if (typeof target === 'string') return stringMethod(target, name, args);
  if (Array.isArray(target)) return listMethod(target, name, args);
  if (target !== null && typeof target === 'object') return mapMethod(target, name, args);
  if (typeof target === 'number') return name === 'intValue' || name === 'longValue' ? Math.trunc(target) : name === 'doubleValue' || name === 'floatValue' ? target : name === 'toString' ? String(target) : undefined;
  if (typeof target === 'boolean') return name === 'booleanValue' ? target : name === 'toString' ? String(target) : undefined;
  return undefined;
}

const JS_ESCAPES = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r', 34: '\\"', 39: "\\'", 47: '\\/', 92: '\\\\' };

/** StringEscapeUtils.escapeJavaScript, which API Gateway's $util.escapeJavaScript is: quotes, \\ and / escaped, control and non-ASCII characters as \\uXXXX. */
export function escapeJavaScript(value) {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'string' ? value : javaText(value);
  return s.replace(/[\u0000-\u001f"'/\\\u0080-\uffff]/g, (c) => JS_ESCAPES[c.charCodeAt(0)] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
}

/** URLEncoder.encode: spaces as +, only letters, digits and . - * _ kept. */
export const urlEncode = (value) => encodeURIComponent(String(value ?? '')).replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
export const urlDecode = (value) => decodeURIComponent(String(value ?? '').replace(/\+/g, ' '));
export const base64Encode = (value) => Buffer.from(String(value ?? ''), 'utf8').toString('base64');
export const base64Decode = (value) => Buffer.from(String(value ?? ''), 'base64').toString('utf8');

/**
 * velocityjs's compiler with every loop, range and text bounded by LIMITS and the time it may
 * take: `render(text, variables, macros)`, templates parsed once. `who` names the service whose
 * #foreach quota a loop went past; `prepare` rewrites a template's text before it is parsed.
 */
export async function boundedVelocity(who, prepare = (text) => text) {
  const { Compile, parse } = await import('velocityjs');
  const javaMethods = { uid: 'esb: Java methods', match: ({ context }) => !(context instanceof Tool), resolve: ({ property, context, params }) => bounded(javaMethod(context, property, params)) };
  class BoundedCompile extends Compile {
    constructor(asts, budget) {
      super(asts, { escape: false, customMethodHandlers: [javaMethods] });
      this.budget = budget;
    }
    renderAstList(asts, contextId) {
      if (Date.now() > this.budget.deadline) throw new TemplateLimitError(`rendering took more than ${LIMITS.renderMillis} ms`);
      return bounded(super.renderAstList(asts, contextId));
    }
    getBlockEach(block) {
      const ast = block[0];
      const items = this.getLiteral({ ...ast.from, pos: ast.pos });
      const n = Array.isArray(items) ? items.length : items !== null && typeof items === 'object' ? Object.keys(items).length : 0;
      if (n > LIMITS.foreachItems) throw new TemplateLimitError(`a #foreach over ${n} items (${who} allows ${LIMITS.foreachItems})`);
      this.budget.items += n;
      if (this.budget.items > LIMITS.loopItems) throw new TemplateLimitError(`#foreach loops over more than ${LIMITS.loopItems} items in all`);
      return super.getBlockEach(block);
    }
    getArray(literal) {
      if (literal.isRange) {
        const [begin, end] = literal.value.map((exp) => (typeof exp === 'string' ? parseInt(exp, 10) : typeof exp === 'number' ? exp : this.getReferences(exp)));
        if (Math.abs(end - begin) >= LIMITS.foreachItems) throw new TemplateLimitError(`a range [${begin}..${end}] of more than ${LIMITS.foreachItems} items`);
      }
      return super.getArray(literal);
    }
    getExpression(ast) {
      return bounded(super.getExpression(ast));
    }
    // A null (a JSON null, a method that gave nothing) is written as nothing, as an undefined reference is.
    getReferences(ast, isVal) {
      const v = super.getReferences(ast, isVal);
      return isVal && v === null ? '' : v;
    }
  }
  const parsed = new Map();
  return (text, variables, macros) => {
    let asts = parsed.get(text);
    if (!asts) parsed.set(text, (asts = parse(prepare(text))));
    return new BoundedCompile(asts, { items: 0, deadline: Date.now() + LIMITS.renderMillis }).render(variables, macros, true);
  };
}
