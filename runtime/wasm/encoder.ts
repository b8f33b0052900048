// A small typed WebAssembly binary encoder: enough to write a SIMD kernel as a readable sequence
// of emit calls, with no toolchain and no dependency. Spec: https://webassembly.github.io/spec/core/binary/
// (modules, §5.5) and the fixed-width SIMD proposal (https://github.com/WebAssembly/simd, opcodes
// in proposals/simd/BinarySIMD.md). Only what cnnc's kernels use is here; a wrong opcode is caught
// by WebAssembly.validate in the tests, not at run time.

export enum ValType { i32 = 0x7f, f32 = 0x7d, f64 = 0x7c, v128 = 0x7b }

/** A local (or parameter) of the function being built: an index with its type, so misuse is a type error. */
export interface Local<T extends ValType = ValType> { readonly index: number; readonly type: T }

const EMPTY_BLOCK = 0x40;

export class FunctionBuilder {
  private readonly bytes: number[] = [];
  private readonly locals: ValType[] = [];
  readonly params: readonly Local[];

  /** `results`: what the function leaves on the stack at its end (none by default). */
  constructor(readonly name: string, paramTypes: readonly ValType[], readonly results: readonly ValType[] = []) {
    this.params = paramTypes.map((type, index) => ({ index, type }));
  }

  /** A new local of `type` (zero-initialised, as every wasm local). */
  local<T extends ValType>(type: T): Local<T> {
    this.locals.push(type);
    return { index: this.params.length + this.locals.length - 1, type };
  }

  // ---- control: structured blocks; `depth` in br/br_if counts enclosing blocks, innermost 0.
  /** A loop whose body falls through unless it branches back (br_if 0 at its end repeats it). */
  loop(body: () => void): this { return this.op(0x03, EMPTY_BLOCK).nest(body); }
  block(body: () => void): this { return this.op(0x02, EMPTY_BLOCK).nest(body); }
  /** if … else … end on the i32 on the stack. */
  ifElse(then: () => void, otherwise?: () => void): this {
    this.op(0x04, EMPTY_BLOCK);
    then();
    if (otherwise !== undefined) {
      this.op(0x05);
      otherwise();
    }
    return this.op(0x0b);
  }
  brIf(depth: number): this { return this.op(0x0d).u32(depth); }
  br(depth: number): this { return this.op(0x0c).u32(depth); }

  // ---- locals and integers
  get(l: Local): this { return this.op(0x20).u32(l.index); }
  set(l: Local): this { return this.op(0x21).u32(l.index); }
  tee(l: Local): this { return this.op(0x22).u32(l.index); }
  i32Const(v: number): this { return this.op(0x41).s32(v); }
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Mul(): this { return this.op(0x6c); }
  i32LtU(): this { return this.op(0x49); }
  i32Eqz(): this { return this.op(0x45); }
  /** a b cond → cond ? a : b */
  select(): this { return this.op(0x1b); }
  i32DivS(): this { return this.op(0x6d); }
  i32LtS(): this { return this.op(0x48); }
  i32GtS(): this { return this.op(0x4a); }
  i32Ne(): this { return this.op(0x47); }
  i32Eq(): this { return this.op(0x46); }
  f32Add(): this { return this.op(0x92); }
  f32Mul(): this { return this.op(0x94); }
  f32Gt(): this { return this.op(0x5e); }
  f32Ne(): this { return this.op(0x5c); }
  i32Or(): this { return this.op(0x72); }
  i32Load(offset: number): this { return this.op(0x28).memarg(2, offset); }
  /** Bulk memory (wasm 2.0, older than SIMD in every engine): dst value bytes → bytes at dst set to value. */
  memoryFill(): this { return this.op(0xfc, 0x0b, 0x00); }
  i32Store(offset: number): this { return this.op(0x36).memarg(2, offset); }
  i32And(): this { return this.op(0x71); }
  i32ShrU(): this { return this.op(0x76); }
  f32Sub(): this { return this.op(0x93); }
  f32Div(): this { return this.op(0x95); }
  f32Sqrt(): this { return this.op(0x91); }
  f32DemoteF64(): this { return this.op(0xb6); }
  f64Load(offset: number): this { return this.op(0x2b).memarg(3, offset); }
  f64Store(offset: number): this { return this.op(0x39).memarg(3, offset); }
  /** The float64 constant v, as its 8 little-endian bytes. */
  f64Const(v: number): this {
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, v, true);
    this.op(0x44);
    for (let i = 0; i < 8; i++) this.bytes.push(b.getUint8(i));
    return this;
  }
  f64Sub(): this { return this.op(0xa1); }
  f64Mul(): this { return this.op(0xa2); }
  f64Div(): this { return this.op(0xa3); }
  f64Sqrt(): this { return this.op(0x9f); }
  f64Ne(): this { return this.op(0x62); }
  f64Add(): this { return this.op(0xa0); }
  f64Lt(): this { return this.op(0x63); }
  f64Gt(): this { return this.op(0x64); }
  f64PromoteF32(): this { return this.op(0xbb); }
  f64ConvertI32S(): this { return this.op(0xb7); }
  f32Neg(): this { return this.op(0x8c); }
  f32Max(): this { return this.op(0x97); }
  // ---- i64, for a double's bits (fma32's rounding to odd)
  i64Const(v: number): this { return this.op(0x42).s32(v); } // small constants only (sleb of a 32-bit value)
  i64Add(): this { return this.op(0x7c); }
  i64And(): this { return this.op(0x83); }
  i64Or(): this { return this.op(0x84); }
  i64Xor(): this { return this.op(0x85); }
  i64ShrS(): this { return this.op(0x87); }
  i64Eqz(): this { return this.op(0x50); }
  i64ReinterpretF64(): this { return this.op(0xbd); }
  f64ReinterpretI64(): this { return this.op(0xbf); }
  /** l += v (v a constant or another local). */
  addTo(l: Local<ValType.i32>, v: number | Local<ValType.i32>): this {
    this.get(l);
    if (typeof v === 'number') this.i32Const(v);
    else this.get(v);
    return this.i32Add().set(l);
  }

  // ---- scalar memory (address on the stack, constant byte offset)
  f32Load(offset: number): this { return this.op(0x2a).memarg(2, offset); }
  f32Store(offset: number): this { return this.op(0x38).memarg(2, offset); }
  f32Zero(): this { return this.op(0x43, 0, 0, 0, 0); }
  /** The float32 constant v (rounded to float32), as its 4 little-endian bytes. */
  f32Const(v: number): this {
    const b = new DataView(new ArrayBuffer(4));
    b.setFloat32(0, v, true);
    return this.op(0x43, b.getUint8(0), b.getUint8(1), b.getUint8(2), b.getUint8(3));
  }

  // ---- SIMD128 (prefix 0xfd); memory operands take a constant byte offset from the address on the stack.
  v128Load(offset: number): this { return this.simd(0x00).memarg(4, offset); }
  v128Store(offset: number): this { return this.simd(0x0b).memarg(4, offset); }
  /** Loads one f32 and broadcasts it to the four lanes. */
  v128Load32Splat(offset: number): this { return this.simd(0x09).memarg(2, offset); }
  v128Zero(): this { this.simd(0x0c); for (let i = 0; i < 16; i++) this.bytes.push(0); return this; }
  f32x4Add(): this { return this.simd(0xe4); }
  /** The f32 in lane 0…3 of the v128 on the stack. */
  f32x4ExtractLane(lane: number): this { return this.simd(0x1f).op(lane); }
  f32x4Mul(): this { return this.simd(0xe6); }
  /** pmax(a, b) = a < b ? b : a (lets a NaN in `a` through, unlike max). */
  f32x4Pmax(): this { return this.simd(0xeb); }
  /** pmin(a, b) = b < a ? b : a (lets a NaN in `a` through, unlike min). */
  f32x4Pmin(): this { return this.simd(0xea); }
  /** Lane mask: all ones where a > b. */
  f32x4Gt(): this { return this.simd(0x44); }
  v128And(): this { return this.simd(0x4e); }
  v128Or(): this { return this.simd(0x50); }
  /** bitselect(a, b, mask) = (a & mask) | (b & ~mask) */
  v128Bitselect(): this { return this.simd(0x52); }
  /** Lane mask: all ones where a ≠ b (so where a lane of x ≠ x: a NaN). */
  f32x4Ne(): this { return this.simd(0x42); }
  i32x4Splat(): this { return this.simd(0x11); }
  f32x4Splat(): this { return this.simd(0x13); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Div(): this { return this.simd(0xe7); }
  f32x4Sqrt(): this { return this.simd(0xe3); }
  i32x4Add(): this { return this.simd(0xae); }
  /** A 16-byte constant. */
  v128Const(bytes: readonly number[]): this { this.simd(0x0c); this.bytes.push(...bytes); return this; }
  /** Bytes of a and b (0–15 a, 16–31 b) picked by 16 lane indices. */
  i8x16Shuffle(lanes: readonly number[]): this { this.simd(0x0d); this.bytes.push(...lanes); return this; }
  f32x4Neg(): this { return this.simd(0xe1); }
  /** max(a, b) lane by lane, NaN where either is NaN, −0 below +0 (as Math.max). */
  f32x4Max(): this { return this.simd(0xe9); }
  v128Xor(): this { return this.simd(0x51); }
  f32x4Abs(): this { return this.simd(0xe0); }
  f32x4Min(): this { return this.simd(0xe8); }
  f32x4Lt(): this { return this.simd(0x43); }
  f32x4Floor(): this { return this.simd(0x68); }
  /** Each lane truncated to i32, saturating (NaN gives 0). */
  i32x4TruncSatF32x4S(): this { return this.simd(0xf8); }
  /** a << s, s the i32 on top. */
  i32x4Shl(): this { return this.simd(0xab); }
  /** a >> s (arithmetic), s the i32 on top. */
  i32x4ShrS(): this { return this.simd(0xac); }
  i32x4Sub(): this { return this.simd(0xb1); }
  /** One float32 from memory into lane 0, the other lanes zero. */
  v128Load32Zero(offset: number): this { return this.simd(0x5c).memarg(2, offset); }
  /** Two float32s (8 bytes) from memory into lanes 0 and 1, the others zero. */
  v128Load64Zero(offset: number): this { return this.simd(0x5d).memarg(3, offset); }
  /** Lane `lane`'s 4 bytes to memory (address below the vector on the stack). */
  v128Store32Lane(offset: number, lane: number): this { return this.simd(0x5a).memarg(2, offset).op(lane); }
  /** Lane `lane`'s 8 bytes (as i64x2) to memory. */
  v128Store64Lane(offset: number, lane: number): this { return this.simd(0x5b).memarg(3, offset).op(lane); }
  f64x2Div(): this { return this.simd(0xf3); }
  f64x2Splat(): this { return this.simd(0x14); }
  /** The f64 in lane 0 or 1 of the v128 on the stack. */
  f64x2ExtractLane(lane: number): this { return this.simd(0x21).op(lane); }
  f64x2Add(): this { return this.simd(0xf0); }
  f64x2Sub(): this { return this.simd(0xf1); }
  f64x2Mul(): this { return this.simd(0xf2); }
  f64x2Lt(): this { return this.simd(0x49); }
  f64x2Gt(): this { return this.simd(0x4a); }
  /** Lanes 0 and 1 of an f32x4 as an f64x2 (exact). */
  f64x2PromoteLowF32x4(): this { return this.simd(0x5f); }
  /** An f64x2 rounded to float32 in lanes 0 and 1, lanes 2 and 3 zero. */
  f32x4DemoteF64x2Zero(): this { return this.simd(0x5e); }
  f64x2Le(): this { return this.simd(0x4b); }
  f64x2Ge(): this { return this.simd(0x4c); }
  f64x2Eq(): this { return this.simd(0x47); }
  f64x2Abs(): this { return this.simd(0xec); }
  f64x2Neg(): this { return this.simd(0xed); }
  /** Each lane rounded toward zero (C's cast to int, as a float). */
  f64x2Trunc(): this { return this.simd(0x7a); }
  /** The two f64 lanes truncated to i32 (saturating, NaN gives 0) in lanes 0 and 1, lanes 2 and 3 zero. */
  i32x4TruncSatF64x2SZero(): this { return this.simd(0xfc); }
  /** a & ~b */
  v128Andnot(): this { return this.simd(0x4f); }
  /** i32 lanes 0 and 1, sign-extended to the two i64 lanes. */
  i64x2ExtendLowI32x4S(): this { return this.simd(0xc7); }
  /** a << s, s the i32 on top. */
  i64x2Shl(): this { return this.simd(0xcb); }
  i64x2Add(): this { return this.simd(0xce); }
  i64x2Eq(): this { return this.simd(0xd6); }
  /** a >> s (arithmetic), s the i32 on top. */
  i64x2ShrS(): this { return this.simd(0xcc); }
  // Relaxed SIMD (https://github.com/WebAssembly/relaxed-simd, Overview.md; opcodes 0xfd 0x100+):
  // results may differ between engines within the stated bounds, but not between runs of one engine.
  /** a b c → a·b + c, fused (one rounding) or not, as the engine's hardware does it. */
  f32x4RelaxedMadd(): this { return this.simd(0x105); }

  /** The function body as the code section wants it: locals, instructions, `end`. */
  encode(): number[] {
    // Locals are declared as runs of one type: (count, type)*.
    const runs: [number, ValType][] = [];
    for (const t of this.locals) {
      const last = runs[runs.length - 1];
      if (last !== undefined && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    return [...vec(runs.map(([n, t]) => [...uleb(n), t])), ...this.bytes, 0x0b];
  }

  private nest(body: () => void): this { body(); return this.op(0x0b); }
  private op(...b: number[]): this { this.bytes.push(...b); return this; }
  private simd(code: number): this { return this.op(0xfd).u32(code); }
  private memarg(alignLog2: number, offset: number): this { return this.u32(alignLog2).u32(offset); }
  private u32(v: number): this { this.bytes.push(...uleb(v)); return this; }
  private s32(v: number): this { this.bytes.push(...sleb(v)); return this; }
}

/**
 * The module's one memory, imported as `env.memory` (and exported again as "memory"): `pages` to
 * start with; shared between threads when `shared`, which must declare a maximum (threads
 * proposal, now in the core spec: limits flag 0x03 = shared with maximum).
 */
export type MemoryDecl =
  | { readonly shared: false; readonly pages: number }
  | { readonly shared: true; readonly pages: number; readonly maxPages: number };

/** A module of `funcs` (all exported by name, each returning its `results`) over one memory, exported as "memory". */
export function encodeModule(funcs: readonly FunctionBuilder[], memory: MemoryDecl): Uint8Array<ArrayBuffer> {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((p) => [p.type])), ...vec(f.results.map((t) => [t]))]);
  const exports = [
    [...name('memory'), 0x02, 0x00],
    ...funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]),
  ];
  const limits = memory.shared ? [0x03, ...uleb(memory.pages), ...uleb(memory.maxPages)] : [0x00, ...uleb(memory.pages)];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(7, vec(exports)),
    ...section(10, vec(funcs.map((f) => { const body = f.encode(); return [...uleb(body.length), ...body]; }))),
  ]);
}

function section(id: number, content: number[]): number[] { return [id, ...uleb(content.length), ...content]; }
function vec(items: readonly (readonly number[])[]): number[] { return [...uleb(items.length), ...items.flat()]; }
function name(s: string): number[] { const b = [...new TextEncoder().encode(s)]; return [...uleb(b.length), ...b]; }

export function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

export function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}
