import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { isJavaRuntime, javaVersionOf } from '@esb/contracts';
import { chooseJavaHome, findJavaHomes, javaCommand, jvmOptions, majorOfRelease, prebuiltJavaClasses, withChannelOnStdin } from './java-runtime.js';

describe('Java runtimes', () => {
  it('knows the javaNN names Lambda uses and their versions', () => {
    expect(['java8', 'java8.al2', 'java11', 'java17', 'java21', 'java25'].map((r) => [isJavaRuntime(r), javaVersionOf(r)])).toEqual([
      [true, 8],
      [true, 8],
      [true, 11],
      [true, 17],
      [true, 21],
      [true, 25],
    ]);
    expect([isJavaRuntime('javascript'), isJavaRuntime('java'), isJavaRuntime(undefined), javaVersionOf('nodejs20.x')]).toEqual([false, false, false, undefined]);
  });

  it("reads a JDK's feature version from its release file, old and new numbering", () => {
    expect(majorOfRelease('IMPLEMENTOR="Debian"\nJAVA_VERSION="17.0.15"\n')).toBe(17);
    expect(majorOfRelease('JAVA_VERSION="1.8.0_392"')).toBe(8);
    expect(majorOfRelease('JAVA_VERSION="25"')).toBe(25);
    expect(majorOfRelease('OS_NAME="Linux"')).toBeUndefined();
  });

  it('runs a function on the oldest JVM at or above its version, else the newest with a warning', () => {
    const homes = [
      { home: '/jvm/25', major: 25, javac: true },
      { home: '/jvm/17', major: 17, javac: true },
      { home: '/jvm/21', major: 21, javac: false },
    ];
    expect(chooseJavaHome('java21', homes)).toEqual({ home: homes[2] });
    expect(chooseJavaHome('java11', homes)?.home.major).toBe(17);
    expect(chooseJavaHome('java11', homes)?.warning).toBe("runtime java11 runs on this machine's Java 17 (/jvm/17; process runtime)");
    const newer = chooseJavaHome('java25', [homes[1]!]);
    expect(newer?.home.major).toBe(17);
    expect(newer?.warning).toMatch(/classes compiled for Java 25 will not load; install a JDK 25 or set ESB_JAVA_HOME/);
    expect(chooseJavaHome('java21', [])).toBeUndefined();
  });

  it("sizes the heap from MemorySize and starts esb's client with the code folder and the layers", () => {
    expect(jvmOptions(512)).toContain('-XX:MaxHeapSize=435m');
    expect(jvmOptions(128)).toContain('-XX:TieredStopAtLevel=1');
    expect(javaCommand({ memoryMb: 256, codeDir: '/code', layerDirs: ['/l1', '/l2'] }, '/jvm/bin/java', '/rt')).toEqual({
      file: '/jvm/bin/java',
      args: [...jvmOptions(256), '-cp', '/rt/client', 'esb.runtime.Bootstrap', '/code', '/l1', '/l2'],
    });
    // On the instance channel: through the shell that moves it to the standard input, told by a system property.
    expect(javaCommand({ memoryMb: 256, codeDir: '/code', layerDirs: [] }, '/jvm/bin/java', '/rt', true)).toEqual({
      file: '/bin/sh',
      args: ['-c', 'exec "$@" <&3 3<&-', 'sh', '/jvm/bin/java', ...jvmOptions(256), '-Desb.runtime.channel=stdin', '-cp', '/rt/client', 'esb.runtime.Bootstrap', '/code'],
    });
  });

  describe('findJavaHomes', () => {
    let root: string;
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    const jdk = (name: string, version: string | undefined, javac: boolean) => {
      const dir = path.join(root, name);
      mkdirSync(path.join(dir, 'bin'), { recursive: true });
      writeFileSync(path.join(dir, 'bin', 'java'), '');
      if (javac) writeFileSync(path.join(dir, 'bin', 'javac'), '');
      if (version) writeFileSync(path.join(dir, 'release'), `JAVA_VERSION="${version}"\n`);
      return dir;
    };

    it('lists each JDK or JRE of the folder once (links to one count once), skipping folders without a release file', () => {
      root = mkdtempSync(path.join(tmpdir(), 'esb-jvm-'));
      const jdk17 = jdk('java-17-openjdk-amd64', '17.0.15', true);
      symlinkSync(jdk17, path.join(root, 'java-1.17.0-openjdk-amd64'));
      jdk('temurin-21-jre', '21.0.2', false);
      jdk('broken', undefined, true);
      const found = findJavaHomes(undefined, root).sort((a, b) => a.major - b.major);
      expect(found).toEqual([
        { home: jdk17, major: 17, javac: true },
        { home: path.join(root, 'temurin-21-jre'), major: 21, javac: false },
      ]);
      expect(findJavaHomes(path.join(root, 'temurin-21-jre'), '/nowhere').map((h) => h.major)).toEqual([21]);
      expect(findJavaHomes(undefined, path.join(root, 'missing'))).toEqual([]);
    });

    it('takes classes compiled ahead only when both the client and the interfaces are there', () => {
      root = mkdtempSync(path.join(tmpdir(), 'esb-java-classes-'));
      expect(prebuiltJavaClasses(root)).toBeUndefined();
      mkdirSync(path.join(root, 'client', 'esb', 'runtime'), { recursive: true });
      writeFileSync(path.join(root, 'client', 'esb', 'runtime', 'Bootstrap.class'), '');
      expect(prebuiltJavaClasses(root)).toBeUndefined();
      mkdirSync(path.join(root, 'core'));
      expect(prebuiltJavaClasses(root)).toBe(root);
    });
  });

  it('moves the instance channel from fd 3 to the standard input of the command it runs, keeping its arguments', async () => {
    // The command: a shell that reads a line from its standard input and says what fd 3 is.
    const cmd = withChannelOnStdin({ file: '/bin/sh', args: ['-c', 'read line; if [ -e /proc/self/fd/3 ]; then fd3=open; else fd3=closed; fi; echo "$line|$1|$fd3"', 'sh', 'a b'] });
    const child = spawn(cmd.file, cmd.args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    (child.stdio[3] as Writable).write('hello\n');
    await new Promise((resolve) => child.on('close', resolve));
    expect(out).toBe('hello|a b|closed\n');
  });
});
