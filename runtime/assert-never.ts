// The runtime's exhaustiveness check: a `switch` over a union ends in it, so a new member does not
// compile until every case handles it. Not exported from cnnc/runtime.

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`cnnc internal error: unhandled ${what}: ${JSON.stringify(x)}`);
}
