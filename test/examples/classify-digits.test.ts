// The README's example app: a plain Node program imports a generated module (--emit js), loads
// weights written by another model instance and classifies digits. Proves the module works outside
// cnnc's own loader, resolving `cnnc/runtime` the way an app does (package exports → dist/).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';

const root = join(__dirname, '..', '..');
const appDir = join(root, 'examples', 'classify-digits');
const modulePath = join(appDir, 'mnist.model.js');
let tmp = '';

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'bin', 'main.js'))) throw new Error('dist/ is missing: `npm test` builds it first (tsc)');
  tmp = mkdtempSync(join(tmpdir(), 'cnnc-example-'));
  execFileSync('node', [join(root, 'bin', 'cnnc.js'), 'build', join(root, 'specs', 'mnist.yaml'), '--emit', 'js', '-o', modulePath]);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('the example app loads weights and prints the same predictions as the model that saved them', async () => {
  // Import the emitted JavaScript through Node itself (not vitest's transform), as an app would.
  const script = `
    import { createModel } from ${JSON.stringify(pathToFileURL(modulePath).href)};
    import { loadMnist10k } from 'cnnc/runtime/node';
    import { writeFileSync } from 'node:fs';
    const net = createModel({ seed: 7 });
    const { train, test } = loadMnist10k();
    net.train();
    for (let s = 0; s < 4; s++) net.trainStep(train.images.subarray(s * 32 * 784, (s + 1) * 32 * 784), train.labels.subarray(s * 32, (s + 1) * 32), 32);
    net.eval();
    writeFileSync(${JSON.stringify(join(tmp, 'w.safetensors'))}, net.saveWeights());
    const out = net.forward(test.images.subarray(0, 5 * 784), 5);
    const preds = [];
    for (let i = 0; i < 5; i++) { let b = 0; for (let c = 1; c < 10; c++) if (out[i * 10 + c] > out[i * 10 + b]) b = c; preds.push(b); }
    console.log(JSON.stringify(preds));
  `;
  const driver = join(appDir, '.driver.test.mjs'); // inside the package, so `cnnc/runtime/node` resolves by self-reference
  writeFileSync(driver, script);
  let expected: number[];
  try {
    expected = JSON.parse(execFileSync('node', [driver], { encoding: 'utf8' }).trim());
  } finally {
    rmSync(driver, { force: true });
  }

  const out = execFileSync('node', [join(appDir, 'classify.mjs'), join(tmp, 'w.safetensors'), '5'], { encoding: 'utf8' });
  const predicted = [...out.matchAll(/^digit \d+: predicted (\d)/gm)].map((m) => Number(m[1]));
  expect(predicted).toEqual(expected);
  expect(out).toMatch(/^\d+\/5 correct$/m);
});

test('the example app refuses a corrupt weights file with a message, not a stack trace of ours', () => {
  const bad = join(tmp, 'bad.safetensors');
  writeFileSync(bad, new Uint8Array([1, 2, 3]));
  let stderr = '';
  try {
    execFileSync('node', [join(appDir, 'classify.mjs'), bad, '1'], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    stderr = String((e as { stderr?: string }).stderr);
  }
  expect(stderr).toMatch(/^error: .*bad\.safetensors: .*(header|byte)/im);
  expect(stderr).not.toMatch(/^\s+at /m);
});
