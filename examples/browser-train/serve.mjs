#!/usr/bin/env node
// Serves the browser training demo from 127.0.0.1 (Node's http module, nothing else listens):
//   /                        index.html (an import map points `cnnc/runtime/gpujs` at /lib/runtime-gpujs.js)
//   /app.js, /digits.mjs     the page's script (plain browser ESM) and the data format it shares with this server
//   /lib/runtime-gpujs.js    cnnc/runtime/gpujs bundled by esbuild from runtime/gpujs/*.ts, gpu.js's browser build inside
//   /models/<name>.js        generated gpu.js modules, TypeScript stripped by esbuild (the demo's: `model`)
//   /data/train.bin, /data/test.bin   a slice of the embedded mnist10k digits (format: digits.mjs)
// Everything is built in memory when the server starts; no file is written.
//
//   node examples/browser-train/serve.mjs [--spec specs/mnist.yaml] [--port 8080] [--lifetime SECONDS]
//
// The CLI uses the compiled cnnc in dist/ (`npm run build`); tests pass the compiler and the data
// loader from the TypeScript sources instead (startServer's `compile` and `loadMnist10k`).
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, transform } from 'esbuild';
import { encodeDigits } from './digits.mjs';

const HERE = new URL('./', import.meta.url);
const ROOT = new URL('../../', import.meta.url);

const STATIC = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/digits.mjs': ['digits.mjs', 'text/javascript; charset=utf-8'],
};

/** cnnc/runtime/gpujs for the browser: one ESM file; gpu.js resolves to its `browser` build (dist/gpu-browser.js). */
export async function bundleRuntime() {
  const r = await build({
    entryPoints: [fileURLToPath(new URL('runtime/gpujs/index.ts', ROOT))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    legalComments: 'inline',
  });
  return r.outputFiles[0].text;
}

/** A generated module as browser JS: types stripped; its `cnnc/runtime/gpujs` import stays for the import map. */
export async function moduleJs(tsCode) {
  return (await transform(tsCode, { loader: 'ts', format: 'esm', target: 'es2022' })).code;
}

/**
 * Starts the demo server. Options: spec (YAML file, default specs/mnist.yaml), port (0: ephemeral),
 * compile(yaml, file) → gpu.js module source, loadMnist10k() → { train, test }, trainDigits / testDigits
 * (slice sizes), lifetimeMs (closes itself after that long; tests bound it). Resolves to
 * { url, port, close(), addModule(name, tsCode) }.
 */
export async function startServer(options = {}) {
  const specFile = options.spec ?? fileURLToPath(new URL('specs/mnist.yaml', ROOT));
  const compile = options.compile ?? (await distCompiler());
  const loadMnist10k = options.loadMnist10k ?? (await distMnist10k());
  const splits = loadMnist10k();
  const files = new Map();
  files.set('/lib/runtime-gpujs.js', [await bundleRuntime(), 'text/javascript; charset=utf-8']);
  files.set('/data/train.bin', [encodeDigits(splits.train, options.trainDigits ?? 2048), 'application/octet-stream']);
  files.set('/data/test.bin', [encodeDigits(splits.test, options.testDigits ?? 200), 'application/octet-stream']);
  const addModule = async (name, tsCode) => {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`module name "${name}": letters, digits, _ . - only`);
    files.set(`/models/${name}.js`, [await moduleJs(tsCode), 'text/javascript; charset=utf-8']);
  };
  await addModule('model', compile(readFileSync(specFile, 'utf8'), specFile));

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
      res.writeHead(path === '/favicon.ico' ? 204 : 404).end();
      return;
    }
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
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
  return { url: `http://127.0.0.1:${port}/`, port, close, addModule };
}

async function distCompiler() {
  const { build: buildSpec, formatDiagnostics } = await importDist('compiler/index.js');
  return (yaml, file) => {
    const r = buildSpec(yaml, file, { target: 'gpujs' });
    if (r.code === null) throw new Error(`${file} does not compile:\n${formatDiagnostics(r.diagnostics)}`);
    return r.code;
  };
}

async function distMnist10k() {
  return (await importDist('runtime/node/data/mnist10k.js')).loadMnist10k;
}

async function importDist(path) {
  const url = new URL(`dist/${path}`, ROOT);
  try {
    return await import(url.href);
  } catch (e) {
    throw new Error(`cannot load ${fileURLToPath(url)} (${e.code ?? e.message}): run \`npm run build\` first`);
  }
}

async function main() {
  const { values } = parseArgs({
    options: { spec: { type: 'string' }, port: { type: 'string', default: '8080' }, lifetime: { type: 'string' } },
  });
  const port = Number(values.port);
  const lifetime = values.lifetime === undefined ? undefined : Number(values.lifetime);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port expects 0..65535, got "${values.port}"`);
  if (lifetime !== undefined && !(lifetime > 0)) throw new Error(`--lifetime expects seconds > 0, got "${values.lifetime}"`);
  const s = await startServer({ spec: values.spec, port, lifetimeMs: lifetime === undefined ? undefined : lifetime * 1000 });
  process.stdout.write(`cnnc browser demo: open ${s.url} (Ctrl-C stops)\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    process.stderr.write(`serve: ${e.message}\n`);
    process.exit(1);
  });
}
