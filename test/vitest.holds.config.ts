// vitest.config.ts with test/holds.setup.ts: how long each test file holds the event loop (see that file).
import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vitest/config';
import base from '../vitest.config.js';

export default mergeConfig(base, {
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: { setupFiles: [fileURLToPath(new URL('./holds.setup.ts', import.meta.url))] },
});
