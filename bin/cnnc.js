#!/usr/bin/env node
// The `cnnc` command. The TypeScript sources are compiled to dist/ by `npm ci` (the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/bin/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('cnnc: dist/ is missing; run `npm ci` (or `npm run build`) in the cnnc package first.\n');
  process.exit(2);
}
await (await import(main.href)).main(process.argv);
