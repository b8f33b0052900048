#!/usr/bin/env node
// Serves the browser training demo from 127.0.0.1 (Node's http module, nothing else listens). Every response
// carries COOP same-origin + COEP require-corp, so the page is cross-origin isolated and the TypeScript
// target's wasm kernels can share their memory with worker threads (runtime/threads.ts).
//   /                          index.html (an import map points `cnnc/runtime` and `cnnc/runtime/gpujs` at /lib/)
//   /app.js, /chart.js, /draw.js, /view.js, /parity.js, /digits.mjs   the page's scripts (plain browser ESM; digits.mjs:
//                              the data format it shares with this server)
//   /lib/runtime.js, /lib/worker.js   cnnc/runtime bundled by esbuild from runtime/*.ts, and its thread worker beside it
//   /lib/runtime-gpujs.js      cnnc/runtime/gpujs bundled by esbuild from runtime/gpujs/*.ts, gpu.js's browser build inside
//   /models.json               the models: [{ id, name, spec, lr, batch }] (lr and batch: the spec's optimizer and train)
//   /models/<id>.ts.js, /models/<id>.gpujs.js   each spec's generated modules, TypeScript stripped by esbuild
//   /data/train.bin, /data/test.bin   slices of the embedded mnist10k digits (format: digits.mjs)
// Everything is built in memory when the server starts; no file is written.
//
//   node examples/browser-train/serve.mjs [--spec FILE]... [--port 8080] [--lifetime SECONDS]
// (default specs: specs/mnist.yaml, the seed's model, and examples/browser-train/small.yaml)
//
// The CLI uses the compiled cnnc in dist/ (built on a checkout's first run, bin/dist.js; `npm run build` after a change); tests pass the compiler and the data
// loader from the TypeScript sources instead (startServer's `compile` and `loadMnist10k`).
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { basename, extname, isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, transform } from 'esbuild';
import { parse as parseYaml } from 'yaml';
import { ensureDist } from '../../bin/dist.js';
import { encodeDigits } from './digits.mjs';

const HERE = new URL('./', import.meta.url);
const ROOT = new URL('../../', import.meta.url);
const JS = 'text/javascript; charset=utf-8';

const STATIC = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', JS],
  '/chart.js': ['chart.js', JS],
  '/draw.js': ['draw.js', JS],
  '/view.js': ['view.js', JS],
  '/parity.js': ['parity.js', JS],
  '/digits.mjs': ['digits.mjs', JS],
};

export const DEFAULT_SPECS = [fileURLToPath(new URL('specs/mnist.yaml', ROOT)), fileURLToPath(new URL('small.yaml', HERE))];

/** Cross-origin isolation: what SharedArrayBuffer, and so the wasm threads, need. */
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/**
 * cnnc/runtime for the browser, and its worker: two ESM files in one directory (/lib/), because the runtime
 * starts threads with `new Worker(new URL('./worker.js', import.meta.url))` (runtime/API.md, esbuild).
 * cnnc/runtime/gpujs the same way: gpu.js resolves to its `browser` build (dist/gpu-browser.js).
 */
export async function bundleRuntime() {
  const r = await build({
    entryPoints: {
      runtime: fileURLToPath(new URL('runtime/index.ts', ROOT)),
      worker: fileURLToPath(new URL('runtime/worker.js', ROOT)),
      'runtime-gpujs': fileURLToPath(new URL('runtime/gpujs/index.ts', ROOT)),
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: '/lib',
    write: false,
    logLevel: 'silent',
    legalComments: 'inline',
  });
  return new Map(r.outputFiles.map((f) => [`/lib/${basename(f.path)}`, f.text]));
}

/** A generated module as browser JS: types stripped; its `cnnc/runtime…` import stays for the import map. */
export async function moduleJs(tsCode) {
  return (await transform(tsCode, { loader: 'ts', format: 'esm', target: 'es2022' })).code;
}

/**
 * Starts the demo server. Options: specs (YAML files, default DEFAULT_SPECS; each gets the id of its file name,
 * `mnist`, `small`), port (0: ephemeral), compile(yaml, file, target: 'ts' | 'gpujs') → module source,
 * loadMnist10k() → { train, test }, trainDigits / testDigits (slice sizes), lifetimeMs (closes itself after
 * that long; tests bound it). Resolves to { url, port, models, close(), addModule(name, tsCode) }.
 */
export async function startServer(options = {}) {
  const specs = options.specs ?? DEFAULT_SPECS;
  const compile = options.compile ?? (await distCompiler());
  const loadMnist10k = options.loadMnist10k ?? (await distMnist10k());
  const splits = loadMnist10k();
  const files = new Map();
  for (const [path, text] of await bundleRuntime()) files.set(path, [text, JS]);
  files.set('/data/train.bin', [encodeDigits(splits.train, options.trainDigits ?? splits.train.n), 'application/octet-stream']);
  files.set('/data/test.bin', [encodeDigits(splits.test, options.testDigits ?? 500), 'application/octet-stream']);
  const addModule = async (name, tsCode) => {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`module name "${name}": letters, digits, _ . - only`);
    files.set(`/models/${name}.js`, [await moduleJs(tsCode), JS]);
  };
  const models = [];
  for (const file of specs) {
    const id = basename(file, extname(file));
    if (models.some((m) => m.id === id)) throw new Error(`${file}: a second spec named "${id}" (the page tells models by file name)`);
    const yaml = readFileSync(file, 'utf8');
    await addModule(`${id}.ts`, compile(yaml, file, 'ts'));
    await addModule(`${id}.gpujs`, compile(yaml, file, 'gpujs'));
    const spec = parseYaml(yaml); // it compiled: a mapping with a name
    models.push({ id, name: spec.name, spec: shownPath(file), lr: spec.optimizer?.lr ?? null, batch: spec.train?.batch_size ?? null });
  }
  files.set('/models.json', [JSON.stringify(models), 'application/json']);

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let body;
    let type;
    if (path in STATIC) {
      const [file, t] = STATIC[path];
      body = readFileSync(new URL(file, HERE)); // read per request: edit the page, reload
      type = t;
    } else if (files.has(path)) {
      [body, type] = files.get(path);
    } else {
      res.writeHead(path === '/favicon.ico' ? 204 : 404, ISOLATION).end();
      return;
    }
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', ...ISOLATION }).end(body);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const port = server.address().port;
  let timer;
  const close = () =>
    new Promise((resolve) => {
      clearTimeout(timer);
      server.closeAllConnections();
      server.close(() => resolve());
    });
  if (options.lifetimeMs !== undefined) timer = setTimeout(close, options.lifetimeMs).unref();
  return { url: `http://127.0.0.1:${port}/`, port, models, close, addModule };
}

/** A spec's path as the page shows it: from the repository root when it lies inside, else its file name. */
function shownPath(file) {
  const r = relative(fileURLToPath(ROOT), file);
  return r.startsWith('..') || isAbsolute(r) ? basename(file) : r.split('\\').join('/');
}

async function distCompiler() {
  const { build: buildSpec, formatDiagnostics } = await importDist('compiler/index.js');
  return (yaml, file, target) => {
    const r = buildSpec(yaml, file, { target });
    if (r.code === null) throw new Error(`${file} does not compile for the ${target} target:\n${formatDiagnostics(r.diagnostics)}`);
    return r.code;
  };
}

async function distMnist10k() {
  return (await importDist('runtime/node/data/mnist10k.js')).loadMnist10k;
}

async function importDist(path) {
  const missing = ensureDist();
  if (missing !== null) throw new Error(missing);
  const url = new URL(`dist/${path}`, ROOT);
  try {
    return await import(url.href);
  } catch (e) {
    throw new Error(`cannot load ${fileURLToPath(url)} (${e.code ?? e.message}): run \`npm run build\` first`);
  }
}

/** A bad command line: exit code 2, as cnnc's EXIT.usage (bin/exit.ts); other errors exit 1. */
class UsageError extends Error {}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: { spec: { type: 'string', multiple: true }, port: { type: 'string', default: '8080' }, lifetime: { type: 'string' } },
    }));
  } catch (e) {
    throw new UsageError(`${e.message} (usage: serve.mjs [--spec FILE]... [--port 8080] [--lifetime SECONDS])`);
  }
  const port = Number(values.port);
  const lifetime = values.lifetime === undefined ? undefined : Number(values.lifetime);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port expects 0..65535, got "${values.port}"`);
  if (lifetime !== undefined && !(lifetime > 0)) throw new UsageError(`--lifetime expects seconds > 0, got "${values.lifetime}"`);
  for (const file of values.spec ?? []) {
    try {
      readFileSync(file);
    } catch (e) {
      throw new Error(`--spec ${file}: cannot read it (${e.code ?? e.message})`);
    }
  }
  const s = await startServer({ specs: values.spec, port, lifetimeMs: lifetime === undefined ? undefined : lifetime * 1000 });
  process.stdout.write(`cnnc browser demo (${s.models.map((m) => m.id).join(', ')}): open ${s.url} (Ctrl-C stops)\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    process.stderr.write(`serve: ${e.message}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  });
}
