// examples/node-service (issue 20, item 8): the plain node:http service, run as a user runs it — a module `cnnc build
// --emit js` wrote, weights `cnnc train` wrote — on an ephemeral port. Real digits exported as PNG and JPEG (fast-png,
// jpeg-js), posted as a body and as a form upload, get the class and probabilities `cnnc predict --json` prints for the
// same files; a black-on-white drawing with ?invert=1 the same answer as the white-on-black digit; a body that is no
// image, or a truncated PNG, a 400 naming what is wrong; bad weights stop the service at start, exit 1, one line.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist10k } from '../../runtime/node/data/mnist10k.js';
import { requireFreshDist } from '../runtime/dist.js';

const root = join(__dirname, '..', '..');
const app = join(root, 'examples', 'node-service');
const modulePath = join(app, 'mnist.model.js');
const tmp = mkdtempSync(join(tmpdir(), 'cnnc-node-service-'));
const weights = join(tmp, 'run', 'model.safetensors');
const cli = (...args: string[]) => execFileSync(process.execPath, [join(root, 'bin', 'cnnc.js'), ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

let server: ChildProcess | null = null;
let base = '';
/** Digit i of the embedded test split as 8-bit gray pixels (white on black), `invert` for black on white. */
const digits = loadMnist10k().test;
function gray(i: number, invert = false): Uint8Array {
  return Uint8Array.from(digits.images.subarray(i * 784, (i + 1) * 784), (v) => Math.round((invert ? 1 - v : v) * 255));
}
const png = (px: Uint8Array, size = 28) => encodePng({ width: size, height: size, data: px, channels: 1, depth: 8 });
const jpg = (px: Uint8Array) => new Uint8Array(jpeg.encode({ width: 28, height: 28, data: Buffer.from(Array.from(px).flatMap((v) => [v, v, v, 255])) }, 95).data);
/** A 56×56 image of digit i (each pixel doubled): the service resizes it to the input, as cnnc predict does. */
function big(i: number): Uint8Array {
  const g = gray(i);
  return Uint8Array.from({ length: 56 * 56 }, (_, k) => g[Math.floor(Math.floor(k / 56) / 2) * 28 + Math.floor((k % 56) / 2)]!);
}

interface Answer { class: number; name: string | null; probability: number; probabilities: number[] }

beforeAll(async () => {
  requireFreshDist(root);
  cli('build', join(root, 'specs', 'mnist.yaml'), '--emit', 'js', '-o', modulePath);
  cli('train', join(root, 'specs', 'mnist.yaml'), '--out', join(tmp, 'run'), '--max-steps', '25', '--limit', '1600', '--threads', '1', '--json');
  server = spawn(process.execPath, [join(app, 'server.mjs'), modulePath, weights, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  base = await new Promise<string>((ok, fail) => {
    let out = '';
    server!.stdout!.on('data', (d: Buffer) => {
      out += String(d);
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) ok(m[1]!);
    });
    server!.on('exit', (code) => fail(new Error(`the service exited ${code} before listening`)));
  });
});
afterAll(() => {
  server?.kill();
  rmSync(tmp, { recursive: true, force: true });
});

async function post(body: Uint8Array, query = ''): Promise<{ status: number; json: Answer & { error?: string } }> {
  const r = await fetch(`${base}/classify${query}`, { method: 'POST', body: new Uint8Array(body), headers: { 'content-type': 'application/octet-stream' } });
  return { status: r.status, json: (await r.json()) as Answer & { error?: string } };
}

describe('examples/node-service', () => {
  it("answers uploaded PNGs and JPEGs with cnnc predict's class and probabilities for the same files", async () => {
    const files: { file: string; bytes: Uint8Array }[] = [];
    for (const i of [0, 1, 2]) files.push({ file: join(tmp, `d${i}.png`), bytes: png(gray(i)) }, { file: join(tmp, `d${i}.jpg`), bytes: jpg(gray(i)) });
    files.push({ file: join(tmp, 'big3.png'), bytes: png(big(3), 56) });
    for (const f of files) writeFileSync(f.file, f.bytes);
    const expected = cli('predict', join(root, 'specs', 'mnist.yaml'), '--weights', weights, '--json', ...files.map((f) => f.file)).trim().split('\n').map((l) => JSON.parse(l) as Answer);
    expect(expected).toHaveLength(files.length);
    for (const [k, f] of files.entries()) {
      const { status, json } = await post(f.bytes);
      expect(status, f.file).toBe(200);
      expect([json.class, json.name], f.file).toEqual([expected[k]!.class, null]);
      json.probabilities.forEach((p, c) => expect(p, `${f.file} class ${c}`).toBeCloseTo(expected[k]!.probabilities[c]!, 6));
      expect(json.probability).toBe(json.probabilities[json.class]);
    }
  });

  it('takes a multipart form upload, and a black-on-white drawing with ?invert=1', async () => {
    const plain = (await post(png(gray(4)))).json;
    const form = new FormData();
    form.append('note', 'a text field first');
    form.append('image', new Blob([new Uint8Array(png(gray(4, true)))], { type: 'image/png' }), 'drawn.png');
    const r = await fetch(`${base}/classify?invert=1`, { method: 'POST', body: form });
    expect(r.status).toBe(200);
    const json = (await r.json()) as Answer;
    expect(json.class).toBe(plain.class);
    json.probabilities.forEach((p, c) => expect(p).toBeCloseTo(plain.probabilities[c]!, 6));
  });

  it('a body that is no image, a truncated PNG and an empty form are 400s naming what is wrong; GET / is the metadata', async () => {
    const text = await post(new TextEncoder().encode('hello, not an image'));
    expect(text.status).toBe(400);
    expect(text.json.error).toBe('upload (byte 0): not a PNG or JPEG file (unrecognised signature)');
    const cut = png(gray(5));
    const truncated = await post(cut.subarray(0, cut.length - 40));
    expect(truncated.status).toBe(400);
    expect(truncated.json.error).toMatch(/^upload( \(byte \d+\))?: ./);
    console.log(`a truncated PNG: ${truncated.status} ${truncated.json.error}`);
    const form = new FormData();
    form.append('note', 'no file here');
    const empty = await fetch(`${base}/classify`, { method: 'POST', body: form });
    expect([empty.status, await empty.json()]).toEqual([400, { error: 'upload: the form holds no file' }]);
    const meta = (await (await fetch(`${base}/`)).json()) as { name: string; inputShape: number[]; output: string };
    expect([meta.name, meta.inputShape, meta.output]).toEqual(['MnistNet', [1, 28, 28], 'log_probabilities']);
    expect((await fetch(`${base}/classify`)).status).toBe(405);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('refuses weights that are not the model\'s at start: exit 1, one line naming the file', () => {
    const bad = join(tmp, 'bad.safetensors');
    writeFileSync(bad, readFileSync(weights).subarray(0, 100));
    const r = spawnSync(process.execPath, [join(app, 'server.mjs'), modulePath, bad, '--port', '0'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^error: ${bad.replace(/[.]/g, '\\.')}: `))]);
  });
});
