// vitest's worker must keep answering its runner. A call it makes (onTaskUpdate, sent as tests progress) that
// waits more than a minute for its answer fails the whole run with "[vitest-worker]: Timeout calling
// "onTaskUpdate"", every test passed or not; and it waits as long as the test holds the event loop. So a test
// never holds it for long: a child process runs asynchronously (test/torch.ts python), and seconds of
// synchronous work in a row (a 133M-parameter model's init, load, save) get a turn of the loop between them.

/** One turn of the event loop: the answers waiting for the worker are read. */
export function yieldToWorker(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
