import { describe, expect, it } from 'vitest';
import { exitDescription } from './instance.js';
import { DEFAULT_FUNCTION_UIDS, parseFunctionUsers, procNetTcpAddress, readProblem, rewritePaths, type StatLike, tcpSocketUid, UidPool } from './isolation.js';
import { limitArgs } from './process-driver.js';

describe('function users setting', () => {
  it('defaults to a uid per instance as root, to none otherwise', () => {
    expect(parseFunctionUsers(undefined, 'ESB_FUNCTION_USER', true)).toEqual({ kind: 'range', ...DEFAULT_FUNCTION_UIDS });
    expect(parseFunctionUsers('auto', 'ESB_FUNCTION_USER', false)).toEqual({ kind: 'none' });
    expect(parseFunctionUsers('none', 'ESB_FUNCTION_USER', true)).toEqual({ kind: 'none' });
  });
  it('reads ranges, a uid and uid:gid', () => {
    expect(parseFunctionUsers('5000-5009', 'X', true)).toEqual({ kind: 'range', first: 5000, count: 10 });
    expect(parseFunctionUsers('65534', 'X', true)).toEqual({ kind: 'fixed', uid: 65534, gid: 65534 });
    expect(parseFunctionUsers('1001:1002', 'X', true)).toEqual({ kind: 'fixed', uid: 1001, gid: 1002 });
  });
  it('names the setting and the reason of a bad value', () => {
    expect(() => parseFunctionUsers('nobody', 'ESB_FUNCTION_USER', true)).toThrow(/^ESB_FUNCTION_USER: "nobody" is not a uid setting/);
    expect(() => parseFunctionUsers('9-3', 'ESB_FUNCTION_USER', true)).toThrow(/last uid below its first/);
    expect(() => parseFunctionUsers('0', 'ESB_FUNCTION_USER', true)).toThrow(/outside 1\.\./);
    expect(() => parseFunctionUsers('5000-5009', 'ESB_FUNCTION_USER', false)).toThrow(/needs esb to run as root/);
  });
});

describe('uid pool', () => {
  it('hands out distinct uids round robin and reuses a released one only after the others', () => {
    const pool = UidPool.ofRange(100, 3);
    const a = pool.take();
    const b = pool.take();
    expect([a, b]).toEqual([100, 101]);
    pool.release(100);
    expect(pool.take()).toBe(102);
    expect(pool.take()).toBe(100);
    expect(pool.take()).toBeUndefined();
  });
});

describe('readProblem', () => {
  const tree: Record<string, StatLike> = {
    '/': { mode: 0o755, uid: 0, gid: 0, isDirectory: () => true },
    '/root': { mode: 0o700, uid: 0, gid: 0, isDirectory: () => true },
    '/root/app': { mode: 0o755, uid: 0, gid: 0, isDirectory: () => true },
    '/srv': { mode: 0o711, uid: 0, gid: 0, isDirectory: () => true },
    '/srv/app': { mode: 0o750, uid: 0, gid: 7000, isDirectory: () => true },
    '/srv/app/secret.txt': { mode: 0o600, uid: 0, gid: 0, isDirectory: () => false },
  };
  const stat = (p: string) => {
    const s = tree[p];
    if (!s) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
    return s;
  };
  it('needs x on every parent and r(-x) on the target, by the class the user falls in', () => {
    expect(readProblem('/root/app', 7000, 7000, stat)).toMatch(/^\/root \(mode 700, owner uid 0\): uid 7000 cannot pass through it$/);
    expect(readProblem('/srv/app', 7000, 7000, stat)).toBeUndefined(); // group r-x
    expect(readProblem('/srv/app', 7001, 7001, stat)).toMatch(/cannot list it/);
    expect(readProblem('/srv/app/secret.txt', 7000, 7000, stat)).toMatch(/cannot read it/);
    expect(readProblem('/nope', 7000, 7000, stat)).toBe('/nope: ENOENT');
  });
});

describe('/proc/net/tcp lookup', () => {
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:A1B2 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0',
    '   1: 0100007F:C350 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000 1879048193        0 222 1 0 20 4 30 10 -1',
    '   2: 0100007F:A1B2 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0 20 4 30 10 -1',
  ].join('\n');
  it('encodes addresses as the kernel prints them', () => {
    expect(procNetTcpAddress('127.0.0.1', 0xa1b2, true)).toBe('0100007F:A1B2');
    expect(procNetTcpAddress('127.0.0.1', 80, false)).toBe('7F000001:0050');
  });
  it("finds the uid of the client's socket of a connection", () => {
    if (procNetTcpAddress('127.0.0.1', 1) !== '0100007F:0001') return; // the table above is little-endian
    expect(tcpSocketUid(table, { ip: '127.0.0.1', port: 0xc350 }, { ip: '127.0.0.1', port: 0xa1b2 })).toBe(1879048193);
    expect(tcpSocketUid(table, { ip: '127.0.0.1', port: 0xa1b2 }, { ip: '127.0.0.1', port: 0xc350 })).toBe(0);
    expect(tcpSocketUid(table, { ip: '127.0.0.1', port: 1 }, { ip: '127.0.0.1', port: 0xa1b2 })).toBeUndefined();
  });
});

describe('instance limits and exits', () => {
  it("sets MemorySize as RLIMIT_DATA, no core files, and Lambda's quotas", () => {
    expect(limitArgs(128, true)).toEqual(['--data=201326592:201326592', '--core=0:0', '--nofile=1024:1024', '--nproc=1024:1024']);
    expect(limitArgs(256, false)).not.toContain('--nproc=1024:1024');
  });
  it('words exits as Lambda does', () => {
    expect(exitDescription({ code: null, signal: 'SIGKILL' }, true)).toBe('Runtime exited with error: signal: killed');
    expect(exitDescription({ code: null, signal: 'SIGABRT' }, false)).toBe('Runtime exited during init with error: signal: aborted');
    expect(exitDescription({ code: 3, signal: null }, true)).toBe('Runtime exited with error: exit status 3');
    expect(exitDescription({ code: 0, signal: null }, true)).toBe('Runtime exited without providing a reason');
  });
  it('moves the path variables of an environment to a readable copy', () => {
    const env = { LAMBDA_TASK_ROOT: '/root/app/fn', NODE_PATH: '/root/app/layer/nodejs/node_modules:/usr/lib/node', PATH: '/usr/bin:/root/app/layer/bin', OTHER: '/root/app/fn' };
    rewritePaths(env, '/root/app/fn', '/tmp/x/1');
    rewritePaths(env, '/root/app/layer', '/tmp/x/2');
    expect(env).toEqual({ LAMBDA_TASK_ROOT: '/tmp/x/1', NODE_PATH: '/tmp/x/2/nodejs/node_modules:/usr/lib/node', PATH: '/usr/bin:/tmp/x/2/bin', OTHER: '/root/app/fn' });
  });
});
