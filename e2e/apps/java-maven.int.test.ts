// The Java Hello World that `sam init` writes for Maven (java-hello-maven), deployed unchanged:
// `esb deploy` runs Maven as `sam build` does (docs/build.md), then serves the function.
// Maven Central is unreachable here, so the test gives Maven what it would download: a
// repository of Debian's packaged plugins, gson and junit (/usr/share/maven-repo), plus the real
// aws-lambda-java-core 1.2.0 jar from an npm package, through a settings.xml in a home of its
// own (MAVEN_OPTS=-Duser.home). Maven itself and esb's builder run unchanged.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDev, type RunningDev } from '@esb/cli';
import { esb } from '@esb/controller/testing';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const APP = path.join(HERE, 'java-hello-maven');
const CORE_JAR = path.join(HERE, '..', '..', 'node_modules', 'java-invoke-local', 'build', 'libs', 'java-invoke-local-all.jar');
const DEBIAN_MAVEN_REPO = '/usr/share/maven-repo';

const pom = (group: string, artifact: string, version: string) =>
  `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version><packaging>jar</packaging></project>\n`;

/** Puts a jar into a Maven repository, as `mvn install:install-file` would. */
async function installJar(repo: string, group: string, artifact: string, version: string, jar: string): Promise<void> {
  const dir = path.join(repo, ...group.split('.'), artifact, version);
  await mkdir(dir, { recursive: true });
  await copyFile(jar, path.join(dir, `${artifact}-${version}.jar`));
  await writeFile(path.join(dir, `${artifact}-${version}.pom`), pom(group, artifact, version));
}

/** A home whose ~/.m2 reaches Debian's Maven packages and aws-lambda-java-core: what a mirror would give. */
async function offlineMavenHome(root: string): Promise<string> {
  const home = path.join(root, 'maven-home');
  const repo = path.join(home, '.m2', 'repository');
  await mkdir(repo, { recursive: true });
  await writeFile(
    path.join(home, '.m2', 'settings.xml'),
    `<settings>\n  <localRepository>${repo}</localRepository>\n  <mirrors>\n    <mirror><id>debian</id><mirrorOf>*</mirrorOf><url>file://${DEBIAN_MAVEN_REPO}</url></mirror>\n  </mirrors>\n</settings>\n`,
  );
  const core = path.join(root, 'core-classes');
  await mkdir(core, { recursive: true });
  execFileSync('jar', ['xf', CORE_JAR, 'com/amazonaws/services/lambda/runtime'], { cwd: core });
  const coreJar = path.join(root, 'aws-lambda-java-core-1.2.0.jar');
  execFileSync('jar', ['--create', '--file', coreJar, '-C', core, '.']);
  await installJar(repo, 'com.amazonaws', 'aws-lambda-java-core', '1.2.0', coreJar);
  // Maven adds plexus-utils 1.1 to the plugins that do not name it; Debian packages a newer one.
  const plexus = path.join(DEBIAN_MAVEN_REPO, 'org', 'codehaus', 'plexus', 'plexus-utils');
  const version = (await readdir(plexus)).find((v) => /^\d+\.\d+\.\d+$/.test(v) && existsSync(path.join(plexus, v, `plexus-utils-${v}.jar`)));
  if (!version) throw new Error(`no plexus-utils jar in ${plexus} (Debian: apt-get install libplexus-utils2-java)`);
  await installJar(repo, 'org.codehaus.plexus', 'plexus-utils', '1.1', path.join(plexus, version, `plexus-utils-${version}.jar`));
  return home;
}

describe('the Java Hello World of sam init (Maven), deployed unchanged', () => {
  let ws: string;
  let app: string;
  let dev: RunningDev;
  let base: string;
  let mavenOpts: string;
  const savedMavenOpts = process.env.MAVEN_OPTS;

  const deploy = () => esb(['deploy', '-t', path.join(app, 'template.yaml'), '--workspace', ws, '--timeout', '170s'], {}, 180_000);
  const hello = async () => {
    const res = await fetch(`${base}/hello`);
    return { status: res.status, type: res.headers.get('content-type'), body: JSON.parse(await res.text()) as Record<string, unknown> };
  };
  const source = (file: string) => path.join(app, 'HelloWorldFunction', 'src', file);
  const edit = async (file: string, from: string, to: string) => {
    const text = await readFile(source(file), 'utf8');
    expect(text).toContain(from);
    await writeFile(source(file), text.replace(from, to));
  };

  beforeAll(async () => {
    ws = await mkdtemp(path.join(tmpdir(), 'esb-java-maven-'));
    app = path.join(ws, 'java-hello-maven');
    await cp(APP, app, { recursive: true });
    mavenOpts = `-Duser.home=${await offlineMavenHome(ws)}`;
    // The build runs in esb dev, with its environment: the user's Maven configuration.
    process.env.MAVEN_OPTS = mavenOpts;
    dev = await startDev({ workspace: ws, port: 0, dynamodbPort: 0, s3Port: 0, runtime: 'process', examples: false, log: pino({ level: 'silent' }) });
    base = dev.info.gateway;
  }, 60_000);

  afterAll(async () => {
    await dev?.close();
    if (savedMavenOpts === undefined) delete process.env.MAVEN_OPTS;
    else process.env.MAVEN_OPTS = savedMavenOpts;
    await rm(ws, { recursive: true, force: true });
  });

  it('esb build runs Maven: the classes at the root, the runtime dependencies in lib/ (not the test-scoped junit); unchanged sources are not built again', async () => {
    const first = await esb(['build', '-t', 'template.yaml', '--json'], { MAVEN_OPTS: mavenOpts }, 180_000, app);
    expect(first.code, first.stderr).toBe(0);
    const units = (out: string) => (JSON.parse(out) as { units: { name: string; builder: string; cached: boolean }[] }).units.map((u) => [u.name, u.builder, u.cached]);
    expect(units(first.stdout)).toEqual([['HelloWorldFunction', 'maven', false]]);
    const built = path.join(app, '.esb', 'build', 'HelloWorldFunction');
    expect(existsSync(path.join(built, 'helloworld', 'App.class'))).toBe(true);
    expect((await readdir(path.join(built, 'lib'))).sort()).toEqual(['com.amazonaws.aws-lambda-java-core-1.2.0.jar', 'com.google.code.gson.gson-2.10.jar']);
    // Maven's own output in the project (a scratch copy is built) and the test classes stay out.
    expect(existsSync(path.join(app, 'HelloWorldFunction', 'target'))).toBe(false);
    expect(existsSync(path.join(built, 'helloworld', 'AppTest.class'))).toBe(false);

    const again = await esb(['build', '-t', 'template.yaml', '--json'], { MAVEN_OPTS: mavenOpts }, 60_000, app);
    expect(units(again.stdout)).toEqual([['HelloWorldFunction', 'maven', true]]);
  }, 200_000);

  it('esb deploy builds and serves GET /hello from the Java handler: the proxy event, the environment, gson from lib/', async () => {
    const deployed = await deploy();
    expect(deployed.code, `${deployed.stdout}\n${deployed.stderr}`).toBe(0);
    expect(await hello()).toEqual({ status: 200, type: 'application/json', body: { message: 'hello world', location: '127.0.0.1', param1: 'VALUE' } });
  }, 200_000);

  it("a change that breaks the project's JUnit test fails the deploy with the test's name, and the deployed version keeps answering", async () => {
    await edit('main/java/helloworld/App.java', 'GREETING = "hello world"', 'GREETING = "hello again"');
    const failed = await deploy();
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/BuildFailed: HelloWorldFunction: maven build failed: mvn -B -q clean install exited with 1:\n[\s\S]*AppTest/);
    // The reports Maven points at are kept where the error now says (not in the scratch copy), with the failed assertion.
    const kept = /Please refer to (\S+) for the individual test results/.exec(failed.stderr)?.[1];
    expect(kept).toMatch(/\/\.reports\/HelloWorldFunction$/);
    expect(await readFile(path.join(kept!, 'helloworld.AppTest.txt'), 'utf8')).toMatch(/Tests run: 1, Failures: 1/);
    expect((await hello()).body.message).toBe('hello world');
  }, 200_000);

  it('code that does not compile fails the deploy with javac\'s file, line and message; fixed, the new version answers', async () => {
    await edit('main/java/helloworld/App.java', 'body.put("message", GREETING);', 'body.put("message", GREETNG);');
    const failed = await deploy();
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/maven build failed: mvn -B -q clean install exited with 1:\n[\s\S]*App\.java:\[\d+,\d+\] cannot find symbol/);
    expect(failed.stderr).not.toMatch(/Re-run Maven|\x1b\[/);
    expect((await hello()).body.message).toBe('hello world');

    await edit('main/java/helloworld/App.java', 'GREETNG', 'GREETING');
    await edit('test/java/helloworld/AppTest.java', '"\\"hello world\\""', '"\\"hello again\\""');
    const fixed = await deploy();
    expect(fixed.code, `${fixed.stdout}\n${fixed.stderr}`).toBe(0);
    expect((await hello()).body).toMatchObject({ message: 'hello again', location: '127.0.0.1' });
  }, 300_000);
});
