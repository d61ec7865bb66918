// Benchmark: `esb artifact generate` on a synthetic template with 200 functions and 1,000
// routes (5 per function, REST and HTTP APIs, path parameters, Globals, a shared layer and a
// table). Target: under 1 s. Prints the median of several runs, in ms, for the pure core
// (parse + render, in memory) and for the whole thing (read code, render, write atomically).
// Run: node --conditions=esb-source --import tsx bench/src/generate.bench.ts [runs]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateArtifact, renderArtifact, type CodeListing } from '@esb/deploy';
import { firstNumber } from './lib/args.js';

export function syntheticTemplate(functions = 200, routesPerFunction = 5): string {
  const lines = [
    "AWSTemplateFormatVersion: '2010-09-09'",
    'Transform: AWS::Serverless-2016-10-31',
    'Parameters:',
    '  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}',
    'Conditions:',
    '  IsProd: !Equals [!Ref Stage, prod]',
    'Globals:',
    '  Function:',
    '    Runtime: python3.12',
    '    Timeout: 10',
    '    CodeUri: src/',
    '    Layers: [!Ref SharedLayer]',
    '    Environment:',
    '      Variables:',
    '        TABLE: !Ref DataTable',
    '        STAGE: !Ref Stage',
    'Resources:',
    '  SharedLayer:',
    '    Type: AWS::Serverless::LayerVersion',
    '    Properties: {LayerName: shared, ContentUri: layer/}',
    '  DataTable:',
    '    Type: AWS::DynamoDB::Table',
    '    Properties:',
    '      TableName: !Sub "${AWS::StackName}-${Stage}-data"',
    '      BillingMode: PAY_PER_REQUEST',
    '      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]',
    '      KeySchema: [{AttributeName: pk, KeyType: HASH}]',
    '  Api:',
    '    Type: AWS::Serverless::Api',
    '    Properties: {StageName: !Ref Stage, Cors: "\'*\'"}',
  ];
  const methods = ['get', 'post', 'put', 'delete', 'patch'];
  for (let i = 0; i < functions; i++) {
    lines.push(
      `  Fn${i}:`,
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      `      FunctionName: !Sub "\${AWS::StackName}-fn-${i}"`,
      `      Handler: app.handler_${i}`,
      `      MemorySize: !If [IsProd, 1024, 256]`,
      '      Environment:',
      '        Variables:',
      `          INDEX: "${i}"`,
      `          SELF_ARN: !Sub "arn:aws:lambda:\${AWS::Region}:\${AWS::AccountId}:function:fn-${i}"`,
      '      Events:',
    );
    for (let r = 0; r < routesPerFunction; r++) {
      const http = r % 2 === 1;
      lines.push(
        `        Route${r}:`,
        `          Type: ${http ? 'HttpApi' : 'Api'}`,
        '          Properties:',
        ...(http ? [] : ['            RestApiId: !Ref Api']),
        `            Path: /svc${i}/items${r}/{id}`,
        `            Method: ${methods[r % methods.length]}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function runGenerateBench(runs = 5): Promise<{ renderMs: number; generateMs: number; renderCpuMs: number; generateCpuMs: number }> {
  const text = syntheticTemplate();
  const listing = (name: string): CodeListing => ({ entries: [{ path: name, sha256: 'a'.repeat(64), source: { content: Buffer.from('x') } }] });
  const code = { src: listing('app.py'), layer: listing('python/shared.py') };

  // Wall time, and CPU time (user + system) of this process: on a loaded machine the CPU
  // figure is the one that says what generation costs.
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const d = process.cpuUsage(since);
    return (d.user + d.system) / 1000;
  };
  const render: number[] = [];
  const renderCpu: number[] = [];
  let summary;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    summary = renderArtifact(text, { file: 'bench.yml', stackName: 'bench', code }).summary;
    render.push(performance.now() - t0);
    renderCpu.push(cpuMs(c0));
  }

  const work = mkdtempSync(join(tmpdir(), 'esb-bench-gen-'));
  const generate: number[] = [];
  const generateCpu: number[] = [];
  try {
    mkdirSync(join(work, 'src'));
    mkdirSync(join(work, 'layer/python'), { recursive: true });
    writeFileSync(join(work, 'src/app.py'), 'def handler(event, context):\n    return {}\n');
    writeFileSync(join(work, 'layer/python/shared.py'), 'X = 1\n');
    writeFileSync(join(work, 'bench.yml'), text);
    for (let i = 0; i < runs; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await generateArtifact({ templatePath: join(work, 'bench.yml'), outDir: join(work, 'out') });
      generate.push(performance.now() - t0);
      generateCpu.push(cpuMs(c0));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const renderMs = median(render);
  const generateMs = median(generate);
  console.log(`generate: ${summary?.functions} functions, ${summary?.routes} routes, ${runs} runs`);
  const renderCpuMs = median(renderCpu);
  const generateCpuMs = median(generateCpu);
  console.log(`  render (pure core, in memory)        median ${renderMs.toFixed(1)} ms wall, ${renderCpuMs.toFixed(1)} ms cpu  [${render.map((x) => x.toFixed(0)).join(', ')}]`);
  console.log(`  generateArtifact (read+render+write) median ${generateMs.toFixed(1)} ms wall, ${generateCpuMs.toFixed(1)} ms cpu  [${generate.map((x) => x.toFixed(0)).join(', ')}]  target < 1000 ms`);
  return { renderMs, generateMs, renderCpuMs, generateCpuMs };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runGenerateBench(firstNumber(process.argv.slice(2), 5));
}
