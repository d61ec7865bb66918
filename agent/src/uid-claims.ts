// Function uids claimed machine-wide (docs/security.md, "Function isolation"): every esb running
// as root hands out uids of the same range, and a uid must serve one instance on the machine at a
// time, since an ended instance's leftovers are killed by uid and the Runtime API admits custom
// runtimes by uid. So each esb claims blocks of the range, a file per block.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Where the claims are: a root-only folder that a reboot empties (tmpfs on most systems). */
export const UID_CLAIMS_DIRS = ['/run/esb-function-uids', '/tmp/esb-function-uids'] as const;

/** Uids per block: a block serves 256 instances at once before its esb claims another. */
export const UID_BLOCK_SIZE = 256;

/** A process, told apart from a later one with the same pid by its start time. */
export interface ProcessIdentity {
  pid: number;
  start: string;
}

/** The start time of a process (clock ticks since boot, /proc/<pid>/stat field 22), or undefined when it is gone. */
export function processStart(pid: number | 'self'): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ")".
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the claim's owner still runs (the same pid with the same start time). */
export function ownerAlive(owner: ProcessIdentity): boolean {
  const start = processStart(owner.pid);
  return start !== undefined && (owner.start === '' || start === owner.start);
}

/** SIGKILLs every process whose real uid is in [first, first + count): what an esb that ended left running. */
export function killUidRange(first: number, count: number): number {
  let killed = 0;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return 0;
  }
  for (const pid of pids) {
    try {
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      if (uid >= first && uid < first + count) {
        process.kill(Number(pid), 'SIGKILL');
        killed++;
      }
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}

export interface UidClaimsOptions {
  /** The range the blocks are cut from. */
  first: number;
  count: number;
  /** The claims folder; default the first of UID_CLAIMS_DIRS that can be made. */
  dir?: string;
  blockSize?: number;
  self?: ProcessIdentity;
  isAlive?(owner: ProcessIdentity): boolean;
  /** Ends what a gone owner left running under a block's uids before the block is reused. */
  killLeftovers?(first: number, count: number): void;
}

/** The blocks of a uid range this process claimed; another esb never gets them while it runs. */
export class UidClaims {
  private readonly held = new Set<string>();
  private readonly blockSize: number;
  private readonly self: ProcessIdentity;
  private dir: string | undefined;

  constructor(private readonly o: UidClaimsOptions) {
    this.blockSize = Math.max(1, Math.min(o.blockSize ?? UID_BLOCK_SIZE, o.count));
    this.self = o.self ?? { pid: process.pid, start: processStart('self') ?? '' };
  }

  /** A block no live process holds, now claimed; undefined when every block is claimed. */
  claim(): { first: number; count: number } | undefined {
    const dir = this.claimsDir();
    for (let start = 0; start < this.o.count; start += this.blockSize) {
      const block = { first: this.o.first + start, count: Math.min(this.blockSize, this.o.count - start) };
      const file = path.join(dir, String(block.first));
      if (this.held.has(file)) continue;
      if (this.create(file) || (this.takeOver(file, block) && this.create(file))) {
        this.held.add(file);
        return block;
      }
    }
    return undefined;
  }

  /** Who holds the blocks this process could not claim (for the error that says so). */
  owners(): number[] {
    const pids = new Set<number>();
    const dir = this.claimsDir();
    for (const name of readdirSafe(dir)) {
      const owner = readOwner(path.join(dir, name));
      if (owner && owner.pid !== this.self.pid) pids.add(owner.pid);
    }
    return [...pids].sort((a, b) => a - b);
  }

  releaseAll(): void {
    for (const file of this.held) {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
    this.held.clear();
  }

  private claimsDir(): string {
    if (this.dir) return this.dir;
    for (const dir of this.o.dir ? [this.o.dir] : UID_CLAIMS_DIRS) {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        this.dir = dir;
        return dir;
      } catch {
        // read-only: the next
      }
    }
    throw new Error(`cannot make a folder for function uid claims (${(this.o.dir ? [this.o.dir] : UID_CLAIMS_DIRS).join(', ')})`);
  }

  private create(file: string): boolean {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    try {
      writeSync(fd, `${this.self.pid} ${this.self.start}\n`);
    } finally {
      closeSync(fd);
    }
    return true;
  }

  /** Moves a gone owner's claim aside (one process wins the rename) and kills what it left. */
  private takeOver(file: string, block: { first: number; count: number }): boolean {
    const owner = readOwner(file);
    // Being written this instant (empty) or held by a live process: not ours.
    if (!owner || (this.o.isAlive ?? ownerAlive)(owner)) return false;
    const aside = `${file}.gone-${this.self.pid}`;
    try {
      renameSync(file, aside);
    } catch {
      return false; // another process took it over first
    }
    (this.o.killLeftovers ?? killUidRange)(block.first, block.count);
    unlinkSync(aside);
    return true;
  }
}

function readOwner(file: string): ProcessIdentity | undefined {
  try {
    const [pid, start] = readFileSync(file, 'utf8').trim().split(' ');
    return pid && /^\d+$/.test(pid) ? { pid: Number(pid), start: start ?? '' } : undefined;
  } catch {
    return undefined;
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
}
