// Isolation of process-runtime instances (docs/security.md, "Function isolation"): which
// user an instance runs as, the Lambda resource limits, and who may speak to its Runtime API.
import { createHash } from 'node:crypto';
import { chmod, cp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { endianness } from 'node:os';
import path from 'node:path';

/**
 * Which user instances run as:
 * - `none`: esb's own user (no isolation between functions and esb);
 * - `range`: each instance its own uid (gid = uid) from `first` .. `first + count - 1`;
 * - `fixed`: every instance one uid/gid (instances can read each other, not esb).
 */
export type FunctionUsers = { kind: 'none' } | { kind: 'range'; first: number; count: number } | { kind: 'fixed'; uid: number; gid: number };

/** 65,536 uids from 0x70000000: a block the usual uid conventions (systemd's) leave unassigned. */
export const DEFAULT_FUNCTION_UIDS = { first: 0x7000_0000, count: 65_536 } as const;

/** Lambda's quotas per execution environment: processes/threads and file descriptors. */
export const LAMBDA_MAX_PROCESSES = 1024;
export const LAMBDA_MAX_FILES = 1024;

const MAX_UID = 0x7fff_ffff; // above: negative in signed 32-bit uid_t code paths

/**
 * Parses the function-user setting: `auto` (default: per-instance uids when esb runs as root,
 * else none), `none`, `<first>-<last>` (a uid range), `<uid>` or `<uid>:<gid>`.
 */
export function parseFunctionUsers(value: string | undefined, source: string, isRoot: boolean): FunctionUsers {
  const v = (value ?? '').trim();
  if (v === '' || v === 'auto') return isRoot ? { kind: 'range', ...DEFAULT_FUNCTION_UIDS } : { kind: 'none' };
  if (v === 'none') return { kind: 'none' };
  const bad = (why: string) => new Error(`${source}: "${v}" ${why} (expected auto, none, <first uid>-<last uid>, <uid> or <uid>:<gid>)`);
  const num = (s: string) => {
    if (!/^\d+$/.test(s)) throw bad('is not a uid setting');
    const n = Number(s);
    if (n < 1 || n > MAX_UID) throw bad(`has ${s}, outside 1..${MAX_UID}`);
    return n;
  };
  let r: FunctionUsers;
  const range = /^(\d+)-(\d+)$/.exec(v);
  if (range) {
    const first = num(range[1]!);
    const last = num(range[2]!);
    if (last < first) throw bad('has its last uid below its first');
    r = { kind: 'range', first, count: last - first + 1 };
  } else {
    const [u, g, ...rest] = v.split(':');
    if (rest.length) throw bad('is not a uid setting');
    const uid = num(u!);
    r = { kind: 'fixed', uid, gid: g === undefined ? uid : num(g) };
  }
  if (!isRoot) throw new Error(`${source}: "${v}" needs esb to run as root (only root can start processes as another user); use "none" or run esb as root`);
  return r;
}

/**
 * Hands out uids round robin, never one in use, from the blocks `claimBlock` gives: a new block
 * only when every uid of those it has is in use (claimed machine-wide: uid-claims.ts).
 */
export class UidPool {
  private next = 0;
  private readonly used = new Set<number>();
  private readonly blocks: Array<{ first: number; count: number }> = [];
  private size = 0;

  constructor(private readonly claimBlock: () => { first: number; count: number } | undefined) {}

  /** A pool of one range held by this process alone. */
  static ofRange(first: number, count: number): UidPool {
    let given = false;
    return new UidPool(() => (given ? undefined : ((given = true), { first, count })));
  }

  take(): number | undefined {
    for (let i = 0; i < this.size; i++) {
      const uid = this.uidAt((this.next + i) % this.size);
      if (!this.used.has(uid)) {
        this.used.add(uid);
        this.next = (this.next + i + 1) % this.size;
        return uid;
      }
    }
    const block = this.claimBlock();
    if (!block) return undefined;
    this.next = this.size;
    this.blocks.push(block);
    this.size += block.count;
    return this.take();
  }

  release(uid: number): void {
    this.used.delete(uid);
  }

  get inUse(): number {
    return this.used.size;
  }

  /** How many uids the pool holds (its blocks). */
  get held(): number {
    return this.size;
  }

  private uidAt(index: number): number {
    for (const b of this.blocks) {
      if (index < b.count) return b.first + index;
      index -= b.count;
    }
    throw new RangeError(`uid index ${index} past the pool's blocks`);
  }
}

export interface StatLike {
  mode: number;
  uid: number;
  gid: number;
  isDirectory(): boolean;
}

function allows(st: StatLike, uid: number, gid: number, bits: number): boolean {
  // The owner, group and other classes are exclusive, as the kernel checks them.
  if (st.uid === uid) return ((st.mode >> 6) & bits) === bits;
  if (st.gid === gid) return ((st.mode >> 3) & bits) === bits;
  return (st.mode & bits) === bits;
}

/**
 * Why `uid:gid` (no supplementary groups) cannot read `target` (a folder it must list and read,
 * or a file it must read/execute), or undefined when it can. Every parent must be searchable.
 */
export function readProblem(target: string, uid: number, gid: number, stat: (p: string) => StatLike = statSync): string | undefined {
  const abs = path.resolve(target);
  const parts = abs.split(path.sep).filter(Boolean);
  let cur: string = path.sep;
  for (let i = 0; i <= parts.length; i++) {
    let st: StatLike;
    try {
      st = stat(cur);
    } catch (err) {
      return `${cur}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
    }
    const last = i === parts.length;
    const need = last ? (st.isDirectory() ? 5 : 4) : 1; // r-x for the folder itself, r for a file, x to pass through
    if (!allows(st, uid, gid, need)) {
      const what = last ? (st.isDirectory() ? 'cannot list it' : 'cannot read it') : 'cannot pass through it';
      return `${cur} (mode ${(st.mode & 0o777).toString(8).padStart(3, '0')}, owner uid ${st.uid}): uid ${uid} ${what}`;
    }
    if (!last) cur = path.join(cur, parts[i]!);
  }
  return undefined;
}

/** `a.b.c.d:port` as /proc/net/tcp writes it (the address in memory order, the port in hex). */
export function procNetTcpAddress(ip: string, port: number, littleEndian = endianness() === 'LE'): string {
  const bytes = ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0').toUpperCase());
  if (littleEndian) bytes.reverse();
  return `${bytes.join('')}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The uid owning the local TCP socket `local` connected to `remote` (both `ip:port`, IPv4), from
 * the text of /proc/net/tcp; undefined when no such socket is listed (gone, or another network
 * namespace).
 */
export function tcpSocketUid(procNetTcp: string, local: { ip: string; port: number }, remote: { ip: string; port: number }): number | undefined {
  const l = procNetTcpAddress(local.ip, local.port);
  const r = procNetTcpAddress(remote.ip, remote.port);
  const at = procNetTcp.indexOf(` ${l} ${r} `);
  if (at < 0) return undefined;
  const end = procNetTcp.indexOf('\n', at);
  // sl local rem st tx:rx tr:when retrnsmt uid ...: the uid is the 8th field of the row.
  const fields = procNetTcp.slice(procNetTcp.lastIndexOf('\n', at) + 1, end < 0 ? undefined : end).trim().split(/\s+/);
  const uid = Number(fields[7]);
  return Number.isInteger(uid) ? uid : undefined;
}

/**
 * The uid of the process at the other end of a loopback TCP connection accepted by this process
 * (the kernel records the uid that created each socket: the identd method).
 */
export async function loopbackPeerUid(socket: { remoteAddress?: string; remotePort?: number; localAddress?: string; localPort?: number }): Promise<number | undefined> {
  const strip = (a: string | undefined) => (a?.startsWith('::ffff:') ? a.slice(7) : a);
  const peerIp = strip(socket.remoteAddress);
  const ownIp = strip(socket.localAddress);
  if (!peerIp || !ownIp || socket.remotePort === undefined || socket.localPort === undefined) return undefined;
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(peerIp) || !/^\d+\.\d+\.\d+\.\d+$/.test(ownIp)) return undefined;
  const text = await readFile('/proc/net/tcp', 'latin1').catch(() => '');
  return tcpSocketUid(text, { ip: peerIp, port: socket.remotePort }, { ip: ownIp, port: socket.localPort });
}

/** Makes a copied tree readable by any user: folders r-x, files r (and x where the owner has it). */
async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await openUp(p);
    else if (e.isFile()) {
      const { mode } = await stat(p);
      await chmod(p, (mode & 0o777) | 0o444 | (mode & 0o100 ? 0o111 : 0));
    }
  }
}

/**
 * Copies of code and layer folders that an instance's user cannot read where they are (a closed
 * home folder, a 0700 workspace), as Lambda copies code to /var/task: one copy per folder and
 * version, shared by the instances of that version, removed once a newer version's instances
 * have replaced them.
 */
export class ReadableCopies {
  private readonly copies = new Map<string, { dir: Promise<string>; users: number; source: string; stale: boolean }>();

  constructor(private readonly root: string) {}

  /** `source` itself when `uid:gid` can read it, else a readable copy of it; release() when the instance is gone. */
  async acquire(source: string, version: string, uid: number, gid: number): Promise<{ dir: string; release(): void }> {
    if (!readProblem(source, uid, gid)) return { dir: source, release: () => {} };
    const key = createHash('sha256').update(`${source}\0${version}`).digest('hex').slice(0, 24);
    let entry = this.copies.get(key);
    if (!entry) {
      const dir = path.join(this.root, key);
      const copying = (async () => {
        await rm(dir, { recursive: true, force: true });
        await cp(source, dir, { recursive: true, verbatimSymlinks: true });
        await openUp(dir);
        return dir;
      })();
      entry = { dir: copying, users: 0, source, stale: false };
      this.copies.set(key, entry);
      // A newer version of the same folder: older copies go once nothing runs on them.
      for (const [k, other] of this.copies) {
        if (k !== key && other.source === source) {
          other.stale = true;
          this.dropIfUnused(k);
        }
      }
      copying.catch(() => this.copies.delete(key));
    }
    entry.users++;
    const mine = entry;
    let released = false;
    try {
      const dir = await mine.dir;
      return {
        dir,
        release: () => {
          if (released) return;
          released = true;
          mine.users--;
          this.dropIfUnused(key);
        },
      };
    } catch (err) {
      mine.users--;
      throw err;
    }
  }

  private dropIfUnused(key: string): void {
    const e = this.copies.get(key);
    if (!e || !e.stale || e.users > 0) return;
    this.copies.delete(key);
    void e.dir.then((d) => rm(d, { recursive: true, force: true })).catch(() => {});
  }
}

/** Replaces `from` (and paths under it) by `to` in the path-like variables of an instance environment. */
export function rewritePaths(env: Record<string, string>, from: string, to: string): void {
  if (from === to) return;
  const map = (p: string) => (p === from ? to : p.startsWith(`${from}/`) ? to + p.slice(from.length) : p);
  for (const k of ['LAMBDA_TASK_ROOT', 'NODE_PATH', 'PYTHONPATH', 'PATH']) {
    const v = env[k];
    if (v !== undefined) env[k] = v.split(':').map(map).join(':');
  }
}
