// What both install tests weigh: the bytes of every file under a folder, apparent size, as npm's "unpacked size" counts.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function bytesUnder(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((s, e) => {
    const p = join(dir, e.name);
    return s + (e.isDirectory() ? bytesUnder(p) : e.isFile() ? statSync(p).size : 0);
  }, 0);
}
