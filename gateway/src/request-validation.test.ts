import type { BodyCheck } from '@esb/contracts';
import { describe, expect, it } from 'vitest';
import { compileValidation, validationFailure } from './request-validation.js';

const vehicle = { type: 'object', required: ['make', 'year'], properties: { make: { type: 'string' }, year: { type: 'integer', minimum: 2010, exclusiveMinimum: true } } };
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('request validation', () => {
  it('names every missing required parameter, sorted by full name, before looking at the body', () => {
    const v = compileValidation({ parameters: ['method.request.querystring.q', 'method.request.header.X-Tenant', 'method.request.path.id'], body: vehicle }, new Map());
    const failure = validationFailure(v, {}, '', null, undefined);
    expect(failure).toEqual({ type: 'BAD_REQUEST_PARAMETERS', message: 'Missing required request parameters: [X-Tenant, id, q]', detail: 'Missing required request parameters: [X-Tenant, id, q]' });
    // Present in any case, even empty: only absence fails.
    expect(validationFailure(v, { 'x-tenant': 'acme' }, 'q=', { id: '7' }, json({ make: 'a', year: 2011 }))).toBeUndefined();
  });

  it('checks the body against the model (draft 4), an empty body as {}; not JSON fails too', () => {
    const v = compileValidation({ parameters: [], body: vehicle }, new Map());
    expect(validationFailure(v, {}, '', null, json({ make: 'Volvo', year: 2022 }))).toBeUndefined();
    // exclusiveMinimum is draft 4's boolean form: 2010 itself is refused.
    for (const bad of [json({ make: 'Volvo', year: 2010 }), json({ make: 'Volvo' }), json({ make: 1, year: 2022 }), Buffer.from('{"make":'), undefined]) {
      const failure = validationFailure(v, {}, '', null, bad);
      expect(failure?.type).toBe('BAD_REQUEST_BODY');
      expect(failure?.message).toBe('Invalid request body');
      expect(failure?.detail).toMatch(/^\[[^'"]+\]$/);
    }
    const empty = compileValidation({ parameters: [], body: { type: 'object' } }, new Map());
    expect(validationFailure(empty, {}, '', null, undefined)).toBeUndefined();
    expect(validationFailure(empty, {}, '', null, json([1]))?.type).toBe('BAD_REQUEST_BODY');
  });

  it('compiles a model once for every route that uses it', () => {
    const checks = new Map<string, BodyCheck>();
    const a = compileValidation({ parameters: [], body: vehicle }, checks);
    const b = compileValidation({ parameters: [], body: JSON.parse(JSON.stringify(vehicle)) }, checks);
    expect(a.body).toBe(b.body);
    expect(checks.size).toBe(1);
  });
});
