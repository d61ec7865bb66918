// The record a running `esb dev` leaves in its workspace (its endpoints, runtime, config folder),
// read by the commands that talk to it.
import { readFile } from 'node:fs/promises';
import type { DevInfo } from './dev.js';

/** The record, or undefined when no esb dev has left one (or it is unreadable). */
export async function readDevInfo(file: string): Promise<DevInfo | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DevInfo;
  } catch {
    return undefined;
  }
}
