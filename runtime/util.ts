// Small helpers for generated code.
import type { FloatArray } from './model.js';

/** The index of the first NaN or ±Infinity among a[0..len), or −1. */
export function firstNonFinite(a: FloatArray, len: number): number {
  const n = Math.min(len, a.length);
  for (let i = 0; i < n; i++) {
    const v = a[i]!;
    // v − v is 0 for every finite v and NaN for NaN and ±Infinity: one subtraction, no call.
    if (v - v !== 0) return i;
  }
  return -1;
}
