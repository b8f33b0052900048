#!/usr/bin/env node
// The `cnnc` command: the compiled TypeScript in dist/ (bin/dist.js builds it on a checkout's first run).
import { ensureDist } from './dist.js';

const missing = ensureDist();
if (missing !== null) {
  process.stderr.write(`${missing}\n`);
  process.exit(2);
}
await (await import(new URL('../dist/bin/main.js', import.meta.url).href)).main(process.argv);
