// A vitest setup file that measures how long each test file holds the event loop (test/worker.ts says why that
// matters: a hold of a minute fails the whole run). Not part of `npm test`; run it over the suites in question:
//   npx vitest run --config test/vitest.holds.config.ts test/zoo test/onnx
// Each file whose longest hold reaches HOLDS_REPORT_MS prints one line: the hold and the test it fell in.
import { afterAll, beforeEach, expect } from 'vitest';

const TICK_MS = 250;
const REPORT_MS = Number(process.env['HOLDS_REPORT_MS'] ?? 5000);

let last = performance.now();
let current = '(before the first test: collecting, or a beforeAll)';
let longest = { ms: 0, during: '' };
beforeEach(() => {
  current = expect.getState().currentTestName ?? '?';
});
const timer = setInterval(() => {
  const now = performance.now();
  const held = now - last - TICK_MS;
  if (held > longest.ms) longest = { ms: held, during: current };
  last = now;
}, TICK_MS);
timer.unref();

afterAll(() => {
  clearInterval(timer);
  const file = expect.getState().testPath ?? '?';
  if (longest.ms >= REPORT_MS) console.warn(`holds: ${file.slice(process.cwd().length + 1)}: the event loop held ${(longest.ms / 1000).toFixed(1)} s in "${longest.during}"`);
});
