// esb's Java runtime client on its own: agent/test/java/esb/runtime/BinderProbe.java runs the
// event binder and the result writer on fixed cases with a real JVM and prints what came out,
// ContextProbe.java the Context an invocation gets (docs/agent.md, "Java"). Needs a JDK (CI
// installs one: .ci/run).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JAVA_CLIENT_SOURCES, JAVA_CORE_SOURCES, listJava } from './java-runtime.js';

const PROBE_SOURCES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'java');

describe("esb's Java client: binding events and writing results", () => {
  let out: string;
  let probe: Record<string, any>;
  let contexts: Record<string, Record<string, unknown>>;

  beforeAll(() => {
    out = mkdtempSync(path.join(tmpdir(), 'esb-java-probe-'));
    const javac = (dir: string, sources: string[], classpath?: string) =>
      execFileSync('javac', ['--release', '8', '-nowarn', '-Xlint:-options', '-d', path.join(out, dir), ...(classpath ? ['-cp', path.join(out, classpath)] : []), ...sources]);
    javac('client', [...listJava(JAVA_CLIENT_SOURCES), ...listJava(PROBE_SOURCES)]);
    javac('core', listJava(JAVA_CORE_SOURCES));
    // esb's Context with one more abstract method, as a later aws-lambda-java-core might declare it: esb's InvocationContext lacks it.
    const context = path.join(JAVA_CORE_SOURCES, 'com', 'amazonaws', 'services', 'lambda', 'runtime', 'Context.java');
    const newer = path.join(out, 'newer-src', 'Context.java');
    mkdirSync(path.dirname(newer), { recursive: true });
    writeFileSync(newer, readFileSync(context, 'utf8').replace(/}\s*$/, '    String getTenantId();\n}\n'));
    javac('newer-core', [newer], 'core');
    const client = path.join(out, 'client');
    probe = JSON.parse(execFileSync('java', ['-cp', client, 'esb.runtime.BinderProbe'], { encoding: 'utf8' }));
    contexts = JSON.parse(execFileSync('java', ['-cp', client, 'esb.runtime.ContextProbe', path.join(out, 'core'), path.join(out, 'newer-core')], { encoding: 'utf8' }));
  }, 60_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('binds properties by setters without regard to case (Records, eventSourceARN), ignores unknown ones, picks the setter overload that fits', () => {
    expect(probe.caseInsensitive).toEqual({ records: [{ messageId: 'm1', eventSourceArn: 'arn:x', attributes: { a: '1' } }] });
    expect(probe.overload).toBe('String:hi');
  });

  it('binds generic maps and lists, arrays, enums, booleans and numbers given as text, base64 bytes, dates in milliseconds', () => {
    expect(probe.shapes).toEqual({ groups: { a: [1, 2] }, sizes: [3, 4], color: 'GREEN', on: true, big: 12, data: 'aGk=', when: 1700000000123 });
    expect(probe.groupElement).toBe('Integer');
    expect(probe.bytes).toBe('hi');
  });

  it("reads and writes the dates of AWS's event classes as epoch seconds, as Lambda's serializer does", () => {
    expect(probe.eventDateMs).toBe(1479499740000);
    expect(probe.eventDateWritten).toEqual({ approximateCreationDateTime: 1479499740 });
    // A string property bound from an object, ahead of the date, leaves the date in seconds.
    expect(probe.eventDateAfterText).toBe('1479499740000 {"id":{"S":"1"}}');
  });

  it('sets private fields of a class without setters, and builds a class through its constructor of named parameters', () => {
    expect(probe.fieldsOnly).toBe('n/3');
    expect(probe.namedConstructor).toBe('1,2');
  });

  it("makes the S3 event classes through their constructors, with the properties in the order Lambda's serializer gives them", () => {
    expect(probe.s3Event).toBe('ObjectCreated:Put 2026-12-07T07:00:00.000Z photos/a%20b.jpg 1024 R1');
  });

  it("binds bytes given as arrays of numbers (Kafka's record headers) and a non-static inner class with its enclosing object (LexEvent's Bot), as Jackson does", () => {
    expect(probe.headerBytes).toBe('headé');
    expect(probe.badByte).toBe('cannot bind a JSON string to a byte (at headers[0].k[1])');
    expect(probe.innerClass).toBe('OrderFlowers true');
  });

  it("binds the event of a handler method a generic base class declares to the type its subclass gives (Generic<Quantity>)", () => {
    expect(probe.inheritedInput).toBe('Quantity');
  });

  it('names what cannot be bound with its path', () => {
    expect(probe.error).toBe('cannot bind a JSON object to int (at q)');
    expect(probe.badJson).toBe("invalid JSON at offset 11: expected ','");
  });

  it('writes results with JavaBeans names (URL, isBase64Encoded, active), leaving nulls out; a String input takes the JSON text of an object', () => {
    expect(probe.naming).toEqual({ URL: 'http://x', isBase64Encoded: true, active: true, statusCode: 201 });
    expect(probe.stringOfObject).toBe('{"a":[1,true,null]}');
  });

  it('parses numbers as Jackson does for untyped values (Integer, Long, BigInteger, Double) and decodes escapes', () => {
    expect(probe.numberTypes).toBe('Integer Long BigInteger Double String');
    expect(probe.escapes).toBe('é\n');
  });

  it("gives a handler esb's Context class, implementing the function's own interface; a Context with a method that class lacks gets a proxy answering the same", () => {
    const same = { implements: true, requestId: 'req-1', arn: 'arn:aws:lambda:us-east-1:123456789012:function:probe', memory: 128, remaining: true, logger: true, text: 'Context(req-1)' };
    expect(contexts.own).toEqual({ ...same, proxy: false, trace: 'absent', tenant: 'absent' });
    expect(contexts.newer).toEqual({ ...same, proxy: true, trace: 'absent', tenant: null });
  });
});
