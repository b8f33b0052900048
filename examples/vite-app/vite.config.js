import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Threads share WebAssembly memory, which a page may use only when cross-origin isolated: the dev server and
// `vite preview` send the two headers that make it so (a production host must send them too).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// Where cnnc is: node_modules/cnnc, which `"cnnc": "file:../.."` makes a link to the repository. The dev server
// serves files outside the app only from allowed folders, and cnnc's worker file is fetched, not imported.
const cnnc = realpathSync(fileURLToPath(new URL('./node_modules/cnnc', import.meta.url)));

export default defineConfig({
  // The dev server's dependency pre-bundling would lose cnnc's worker file (runtime/worker.js, loaded by
  // `new URL('./worker.js', import.meta.url)`); a production build bundles it as is.
  optimizeDeps: { exclude: ['cnnc'] },
  server: { headers: isolation, fs: { allow: ['.', cnnc] } },
  preview: { headers: isolation },
  build: { target: 'es2022' },
});
