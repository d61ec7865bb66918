// Which of esb's packages a Node function of the process runtime finds (docs/agent.md, "The AWS
// SDK of Node functions"): the SDK and what it needs, found through a tree shaped like npm's.
import { mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { linkRuntimeSdk, sdkFolderFor, topLevelClosure } from './runtime-sdk.js';

describe('the AWS SDK a Node function finds', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'esb-runtime-sdk-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const pkg = (dir: string, deps: Record<string, string> = {}, optional: Record<string, string> = {}) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: path.basename(dir), dependencies: deps, optionalDependencies: optional }));
  };
  const nm = path.join(root, 'node_modules');
  pkg(path.join(nm, '@aws-sdk', 'client-s3'), { '@smithy/core': '1', tslib: '2' });
  pkg(path.join(nm, '@aws-sdk', 'lib-storage'), { buffer: '5' }, { 'not-installed': '1' });
  // A nested copy (another version) whose own dependency is hoisted to the top.
  pkg(path.join(nm, '@aws-sdk', 'lib-storage', 'node_modules', 'buffer'), { ieee754: '1' });
  pkg(path.join(nm, 'buffer'));
  pkg(path.join(nm, 'ieee754'));
  pkg(path.join(nm, '@smithy', 'core'), { 'fast-xml-parser': '4' });
  pkg(path.join(nm, 'fast-xml-parser'), { strnum: '1' });
  pkg(path.join(nm, 'strnum'));
  pkg(path.join(nm, 'tslib'));
  pkg(path.join(nm, 'aws-sdk'), { jmespath: '0' });
  pkg(path.join(nm, 'jmespath'));
  // esb's own, which Lambda does not have.
  pkg(path.join(nm, 'yaml'));
  pkg(path.join(nm, 'fastify'), { tslib: '2' });

  it('links the SDK v3 and the top-level packages its dependencies reach, not the rest', () => {
    expect(topLevelClosure(nm, ['@aws-sdk/client-s3', '@aws-sdk/lib-storage'])).toEqual(['@aws-sdk/client-s3', '@aws-sdk/lib-storage', '@smithy/core', 'fast-xml-parser', 'ieee754', 'strnum', 'tslib']);
    expect(topLevelClosure(nm, ['aws-sdk'])).toEqual(['aws-sdk', 'jmespath']);
  });

  it('makes one NODE_PATH folder per SDK, of links into node_modules, shared by name; nodejs16.x and older get v2', () => {
    mkdirSync(path.join(root, 'out'));
    const folders = linkRuntimeSdk(nm, path.join(root, 'out'));
    // Named by what they hold: made once, then found again.
    expect(linkRuntimeSdk(nm, path.join(root, 'out'))).toEqual(folders);
    expect(readlinkSync(path.join(folders.v3!, '@aws-sdk', 'client-s3'))).toBe(path.join(nm, '@aws-sdk', 'client-s3'));
    expect(readlinkSync(path.join(folders.v3!, 'strnum'))).toBe(path.join(nm, 'strnum'));
    expect(() => readlinkSync(path.join(folders.v3!, 'yaml'))).toThrow();
    expect(readlinkSync(path.join(folders.v2!, 'aws-sdk'))).toBe(path.join(nm, 'aws-sdk'));
    expect(() => readlinkSync(path.join(folders.v2!, '@aws-sdk'))).toThrow();
    expect(sdkFolderFor('nodejs20.x', folders)).toBe(folders.v3);
    expect(sdkFolderFor('nodejs18.x', folders)).toBe(folders.v3);
    expect(sdkFolderFor('nodejs16.x', folders)).toBe(folders.v2);
    expect(sdkFolderFor('nodejs14.x', folders)).toBe(folders.v2);
  });
});
