// The template corpus of deploy/test/templates/<case>/ (used by the golden tests and the
// benchmark): renders a case exactly as generateArtifact would, without writing anything.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTemplateFile, readBuiltinCode, readCodeListings } from './fs-adapter.js';
import { renderArtifact, type RenderResult } from './render.js';

export const TEMPLATES = fileURLToPath(new URL('../../test/templates/', import.meta.url));
export interface CaseOptions {
  stackName?: string;
  parameterOverrides?: Record<string, string>;
  project?: string;
  env?: string;
  baseImages?: Record<string, string>;
}

export function templateOf(caseDir: string): string {
  for (const name of ['template.yaml', 'template.yml', 'template.json']) if (existsSync(join(caseDir, name))) return join(caseDir, name);
  throw new Error(`no template in ${caseDir}`);
}

export function caseOptions(caseDir: string): CaseOptions {
  const p = join(caseDir, 'case.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as CaseOptions) : {};
}

/** Renders a corpus case the way generateArtifact does, without writing. */
export async function renderCase(name: string): Promise<RenderResult> {
  const caseDir = join(TEMPLATES, name);
  const templatePath = templateOf(caseDir);
  const opts = caseOptions(caseDir);
  const file = templatePath.slice(caseDir.length + 1);
  const text = readFileSync(templatePath, 'utf8');
  const sam = { file, stackName: opts.stackName ?? name, parameterOverrides: opts.parameterOverrides };
  const model = parseTemplateFile(text, templatePath, sam);
  const code = await readCodeListings(caseDir, model.codeRefs, file);
  return renderArtifact(model, { ...sam, project: opts.project ?? 'demo', env: opts.env ?? 'dev', baseImages: opts.baseImages, code, builtins: await readBuiltinCode(model.functions), templatePath: `../${file}`, templateSha256: createHash('sha256').update(text).digest('hex') });
}

