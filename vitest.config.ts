import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// Tests run against the TypeScript sources; generated modules import 'cnnc/runtime',
// which is aliased here to the source so a test never depends on a stale dist/.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^cnnc\/runtime$/, replacement: fileURLToPath(new URL('./runtime/index.ts', import.meta.url)) },
      { find: /^cnnc\/runtime\/node$/, replacement: fileURLToPath(new URL('./runtime/node/index.ts', import.meta.url)) },
      { find: /^cnnc$/, replacement: fileURLToPath(new URL('./compiler/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The decoded-image cache (runtime/node/data/image-cache.ts) stays off, so no test reads another's entries
    // or writes into the home directory; test/data/image-cache.test.ts turns it on in a temp directory.
    env: { CNNC_CACHE: 'off' },
  },
});
