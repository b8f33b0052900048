// The emit kit: the text helpers every renderer and the comment formatter share, so that a number,
// a shape or a block of lines reads the same in every target. Target-specific helpers stay with their
// target (gpu.js's float literal `flt`, its kernel calls; the TypeScript target's kernel arguments).

/** A number as a literal (TypeScript or JavaScript; comments too); refuses what JSON cannot hold. */
export function lit(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`cnnc internal error: non-finite literal ${x}`);
  return Object.is(x, -0) ? '0' : String(x);
}

/** A count with thousands separators, as comments and headers print it: `1,199,882`. */
export function count(x: number): string {
  return x.toLocaleString('en-US');
}

/** `a·v1 + b·v2 + c` as readable code, dropping zero terms and unit factors. */
export function affine(terms: readonly (readonly [number, string])[], c = 0): string {
  const parts: string[] = [];
  for (const [k, v] of terms) {
    if (k === 0) continue;
    parts.push(k === 1 ? v : `${v} * ${lit(k)}`);
  }
  let s = parts.join(' + ');
  if (c !== 0 || s === '') s = s === '' ? lit(c) : c > 0 ? `${s} + ${lit(c)}` : `${s} - ${lit(-c)}`;
  return s;
}

/** `[n,1,28,28]`: a per-sample shape with the batch in front. */
export function shapeText(shape: readonly number[]): string {
  return `[n,${shape.join(',')}]`;
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Joins lines and blocks of lines into one block; `false` and `null` entries are left out. */
export function lines(...ls: (string | readonly string[] | false | null)[]): string {
  const out: string[] = [];
  for (const l of ls) {
    if (l === false || l === null) continue;
    if (typeof l === 'string') out.push(l);
    else out.push(...l);
  }
  return out.join('\n');
}

/** Indents a block of lines by `depth` levels of two spaces (empty lines stay empty). */
export function indent(block: string, depth = 1): string[] {
  const pad = '  '.repeat(depth);
  return block.split('\n').map((l) => (l === '' ? l : pad + l));
}
