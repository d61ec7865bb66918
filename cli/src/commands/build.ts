// `esb build -t template.yaml`: SAM's builders (npm, esbuild, pip, makefile, cargo, go, maven; layers too) into
// .esb/build/<LogicalId>/, as `sam build` fills .aws-sam/build. Unchanged units are reused.
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildTemplate, defaultStackName, describeBuild, describeProgress, parseTemplateFile, readTemplate } from '@esb/deploy';
import type { Command } from '../main.js';
import { parseOverrides } from './deploy.js';

const HELP = `usage: esb build -t TEMPLATE [--build-dir DIR] [-s STACK] [--parameter-overrides K=V ...] [--json]

Builds every function and layer of a SAM template with SAM's builders (docs/build.md):
npm (nodejs with package.json: production dependencies only), esbuild (Metadata.BuildMethod:
esbuild), pip (python with requirements.txt), makefile (BuildMethod: makefile), cargo
(BuildMethod: rust-cargolambda), go (BuildMethod: go1.x), maven (java with pom.xml). Output:
<build-dir>/<LogicalId>/ (default build dir: ./.esb/build). A unit whose inputs did not change
is not built again. \`esb deploy\` builds the same way by itself.`;

export const build: Command = {
  summary: 'build the functions and layers of a SAM template (like sam build)',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        template: { type: 'string', short: 't' },
        'template-file': { type: 'string' },
        'build-dir': { type: 'string', short: 'b' },
        'stack-name': { type: 'string', short: 's' },
        'parameter-overrides': { type: 'string', multiple: true, default: [] },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const template = values.template ?? values['template-file'];
    if (values.help || !template) {
      process.stdout.write(`${HELP}\n`);
      return values.help ? 0 : 2;
    }
    const templatePath = resolve(template);
    const buildDir = resolve(values['build-dir'] ?? resolve('.esb', 'build'));
    const { text } = await readTemplate(templatePath);
    const model = parseTemplateFile(text, templatePath, {
      file: template,
      stackName: values['stack-name'] ?? defaultStackName(templatePath),
      parameterOverrides: parseOverrides(values['parameter-overrides']),
      // Sources may lie above the template, inside the folder esb runs in (docs/generate.md "Paths and symlinks").
      codeRoot: process.cwd(),
      // Building needs no Parameter Store value: parameters of those types take their names.
      ssmParameterNamesAsValues: true,
    });
    const started = Date.now();
    const result = await buildTemplate({
      model,
      templateDir: dirname(templatePath),
      codeRoot: process.cwd(),
      buildDir,
      onProgress: (e) => {
        if (!values.json) process.stdout.write(`  ${e.state === 'building' ? '... ' : 'ok  '} ${describeProgress(e)}\n`);
      },
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(2);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ buildDir, seconds: Number(seconds), units: result.units }, null, 2)}\n`);
    } else {
      process.stdout.write(`${describeBuild(result) ?? 'nothing to build (no function or layer uses a builder)'}\nbuild dir: ${buildDir} (${seconds}s)\n`);
    }
    return 0;
  },
};
