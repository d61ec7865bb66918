// Temporary folders a test file makes under the OS temp dir, remembered so they are removed together when the file ends.
import { mkdtempSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDirs {
  /** A new folder `<tmpdir>/<prefix>XXXXXX`, removed by `removeAll`. */
  make(prefix: string): Promise<string>;
  /** Same as `make`, synchronously. */
  makeSync(prefix: string): string;
  /** Removes every folder made so far and forgets them. */
  removeAll(): Promise<void>;
}

export function tempDirs(): TempDirs {
  const dirs = new Set<string>();
  return {
    async make(prefix) {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      dirs.add(dir);
      return dir;
    },
    makeSync(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.add(dir);
      return dir;
    },
    async removeAll() {
      const all = [...dirs];
      dirs.clear();
      await Promise.all(all.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}
