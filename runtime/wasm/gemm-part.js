// @ts-check
// One thread's share of a job — a float32 gemm, or a conv2d batch — and the loop a worker thread
// runs (threads.ts starts them).
//
// The job is described in a control block of Int32 words at the start of the wasm memory, which is
// shared with every worker; each worker has its own instance of the same kernel module on it.
//
// gemm: C's MR×NR tiles are split along C's longer side (columns when splitN) into chunks of contiguous
// tiles. The caller packs the other operand, whole, once (packOperand); then every thread claims
// chunks from a shared counter until none is left, packs its chunk's panels of the split operand
// and runs the tiles kernel on them. Claiming, not a fixed share, because this runs on machines
// where other processes take cores: a thread that was not scheduled leaves its chunks to the others.
// Every element of C is computed by exactly one thread, by the same kernel, from the same packed
// values, with the same k order (kc slices in turn, f32 accumulators stored and reloaded exactly
// between slices): the result is bitwise the single-thread result whatever thread took which chunk.
//
// conv2d (conv.ts): the unit of work is a sample (forward) or a fixed block of samples (backward),
// claimed the same way; a thread runs its units whole — im2col, then each product on one thread
// with a private control block in its own scratch (setupGemm at `o`), col2im — so nothing waits on
// anything per sample. The blocks are fixed by the batch size, not the thread count, and their
// partial weight gradients are summed by the caller in block order: the same bits for any T.
//
// A worker runs these functions from this very file: ../worker.js imports it, and a bundler (esbuild,
// vite, webpack, rollup) or Node loads that as a module, so this file is JavaScript (typed by JSDoc,
// checked by tsc: @ts-check), which the sources run as is, and imports nothing. `c` is an Int32
// view of the whole memory; a gemm's fields are read at o + L.field (o = 0: the shared block). The
// layout comes in as an argument (`L`): the worker is handed CTRL, so the two sides cannot disagree.

/** Int32 word indices of the control block (`ints` words; the data region starts after it). */
export const CTRL = /** @type {const} */ ({
  /** Job generation: the caller bumps it to start a job, workers wait on it. */
  gen: 0,
  /** Workers done with the current job; the caller waits for it to reach `workers` (own cache line). */
  done: 16,
  workers: 17,
  /** Workers that have instantiated the module and wait for jobs. */
  ready: 18,
  /** Non-zero: workers leave their loop at the next generation. */
  stop: 19,
  /** Chunks of gemms and claims of the Winograd, elementwise, update and plane jobs computed by workers, all jobs together (a statistic for tests). */
  workerChunks: 20,
  /** Non-zero: a worker's part threw (a cnnc bug); the caller reports it rather than wait forever. */
  failed: 21,
  /** The next chunk to claim (own cache line: every thread increments it). */
  next: 24,
  // The job: operand placement in floats, from the start of memory.
  transA: 32, transB: 33, M: 34, N: 35, K: 36, pA: 37, pB: 38, pC: 39, ldc: 40, accumulate: 41,
  /** Threads taking part (1 … workers + 1); a thread whose index is ≥ this does nothing. */
  threads: 42,
  splitN: 43,
  /** Per-thread scratch for one slice of packed panels: thread t's starts at scratch + t·scratchStride (floats). */
  scratch: 44, scratchStride: 45,
  /** The unsplit operand, packed whole by the caller: kc slice s at packed + s·(its panels)·R·min(KC, K). */
  packed: 46,
  chunks: 47,
  // The kernel's constants (sgemm-kernel.ts), written once.
  MR: 48, NR: 49, KC: 50,
  /** Row strides of A and B as stored, in floats. */
  lda: 51, ldb: 52,
  /** What the job is: 0 a gemm, 1 conv2d forward (a unit is a sample), 2 conv2d backward (a unit is a block of samples), 3 and 4 the same by the direct kernels, 5 a Winograd step (winogradPart), 6 a batchnorm pass (batchnormPart), 7 an elementwise kernel (elementwisePart), 8 an optimizer's update (updatePart), 9 a kernel over planes (planesPart), 10 and 11 a depthwise conv2d forward and backward (depthwiseForwardPart: a unit is a sample's block of channels; depthwiseBackwardPart: a block of channels over the batch), 12 a batched conv's im2col, col2im or copy out (batchedColumnsPart: a unit is a sample). */
  job: 53,
  /** conv2d backward: where a block's partial bias gradient starts in its part (floats after the part's start); −1: no bias. */
  dbOff: 54,
  /** conv2d forward: where relu(y) goes, sample after sample (a relu layer fused into the conv); −1: none. */
  pRelu: 55,
  /** conv2d backward: the fused relu's output and its gradient; each sample's dY is first set to pReluDY·[pReluY > 0]. −1: none. */
  pReluY: 56, pReluDY: 57,
  // conv2d jobs (conv.ts): the geometry, then positions in floats (−1: absent).
  cvN: 64, cin: 65, h: 66, w: 67, cout: 68, ho: 69, wo: 70, kh: 71, kw: 72, sh: 73, sw: 74, dh: 75, dw: 76, top: 77, left: 78, groups: 79,
  pX: 80, pW: 81, pBias: 82, pY: 83, sampleC: 84, ldy: 85, groupRows: 86, pOut: 87,
  pDY: 88, pParts: 89, partStride: 90, ldw: 91, dwRows: 92, pDX: 93, ldd: 94, dcolRows: 95,
  units: 96, perUnit: 97,
  /** Per-thread scratch of a conv job: thread t's at tScratch + t·tStride (a private gemm block, then its buffers). */
  tScratch: 98, tStride: 99,
  /** Adam's nine float32 scalars (wasm/adam.ts), read by the kernel from memory: a float passed to a call is a heap number. */
  adam: 100,
  /** Direct conv2d jobs (direct.ts; jobs 3 forward, 4 backward): the kernel variant (cb output channels × vb vectors × rb rows), the
   *  padded output plane (woP × hoP), the phased input's row and plane (floats), kjTab's position (floats, phaseTab after it)
   *  and the forward's tap table's. */
  dCb: 112, dVb: 113, dWoP: 114, dHoP: 115, dRowLen: 116, dPlane: 117, dTab: 118, dTaps: 119, dRb: 120,
  // Winograd jobs (winograd.ts; job 5, winogradPart): what the job does (WG), its units (claimed wgBlock at a time),
  // the tile (wgM 2 or 4) and its tiling (th × tw tiles a sample in `groups` groups of four, T = th·tw).
  wgKind: 128, wgUnits: 129, wgBlock: 130, wgM: 131, wgTh: 132, wgGroups: 133, wgTw: 134, wgT: 135,
  /** Transforms: the chunk's samples; the NCHW side (x, dY or y: its chunk's first sample, floats a sample, a channel,
   *  a row) and the rows × cols it copies; the thread's plane (floats past its scratch; row stride wgPw; the copy at
   *  wgPOff in it); the tile side (V, M or dM: channel u's row at wgTiles + u·wgLd, matrix e at + e·wgEs); the bias (−1: none). */
  wgCount: 136, wgImage: 137, wgImageS: 138, wgImageC: 139, wgImageW: 140, wgRows: 141, wgCols: 142,
  wgPlane: 143, wgPw: 144, wgPOff: 145, wgTiles: 146, wgLd: 147, wgEs: 148, wgBias: 149,
  /** Products (one a unit e): C_e (+)= op(A_e)·op(B_e), A_e at wgA + e·wgEsA and so on; the gemm work past the thread's
   *  64-int block at wgWork floats into its scratch. */
  wgTransA: 150, wgTransB: 151, wgMM: 152, wgNN: 153, wgKK: 154, wgA: 155, wgEsA: 156, wgB: 157, wgEsB: 158,
  wgC: 159, wgEsC: 160, wgLdc: 161, wgAcc: 162, wgLda: 163, wgLdb: 164, wgWork: 165,
  /** Filter transform and gradient: W or dW (floats), the filters (transform: count; gradient: cout rows of cin), the
   *  taps' order (transform: first, row step, column step in bytes), U or dU in wgTiles / wgEs (gradient: rows wgLd apart). */
  wgW: 166, wgFilters: 167, wgCin: 168, wgFirst: 169, wgRowStep: 170, wgColStep: 171,
  /** The thread's plane's floats (zeroed before its first unit: the border is the padding). */
  wgPlaneFloats: 172,
  // batchnorm2d passes (wasm/batchnorm.ts; job 6, batchnormPart): what (BN), C channels claimed bnBlock at a time, each n
  // runs of bnCount floats bnStride bytes apart; x, dY (or y) and dX at byte addresses; per-channel float64 values in
  // slots of C from float64 index bnF (what each pass reads and writes: batchnormPart).
  bnKind: 176, bnC: 177, bnBlock: 178, bnN: 179, bnCount: 180, bnStride: 181, bnX: 182, bnD: 183, bnO: 184, bnF: 185,
  // Elementwise kernels (side.ts runElementwise; job 7, elementwisePart): ELEMENTWISE[ewKernel] over ewArrays (2 or 3)
  // arrays at byte addresses ewP0…, ewCount of its units (floats, or relu's vectors: ewUnit bytes each) claimed ewBlock at
  // a time; its float32 scalars ewS0, ewS1 (float bits).
  ewKernel: 186, ewArrays: 187, ewP0: 188, ewP1: 189, ewP2: 190, ewCount: 191, ewBlock: 192, ewUnit: 193, ewS0: 194, ewS1: 195,
  // Optimizer updates (side.ts runUpdate; job 8, updatePart): UPDATES[opKernel] over opArrays (3 to 5) arrays at byte
  // addresses opP0…opP4 (one after the other; −1: an absent slot), opCount floats claimed opBlock at a time, then its
  // integer arguments opX0…opX2.
  opKernel: 196, opArrays: 197, opP0: 198, opP1: 199, opP2: 200, opP3: 201, opP4: 202, opCount: 203, opBlock: 204, opX0: 205, opX1: 206, opX2: 207,
  // Plane kernels (side.ts runPlanes; job 9, planesPart): PLANES[plKernel](pointers…, planes, args…) over plCount planes
  // claimed plBlock at a time; plPointers (2 or 3) byte addresses plP0… moving plS0… bytes a plane; then 12 integer args.
  plKernel: 208, plPointers: 209, plCount: 210, plBlock: 211, plP0: 212, plP1: 213, plP2: 214, plS0: 215, plS1: 216, plS2: 217,
  plArgs: 224,
  // Depthwise conv2d jobs (wasm/depthwise.ts; jobs 10 forward, 11 backward), besides the conv fields above: the padded
  // channel-last scratch's rows and pixels a row (dwHp × dwWp), the re-laid filters and biases, dW and dB (floats; dB −1: none).
  dwHp: 240, dwWp: 241, dwWt: 242, dwBt: 243, dwDW: 244, dwDB: 245,
  // A batched conv's column work (conv.ts batchedColumns; job 12, batchedColumnsPart), besides the conv geometry: im2col
  // (bcKind 0), col2im (1) or the product's copy out (2) of bcCount samples, the first's image (or y) at bcImage and its
  // columns at bcCols in a matrix of row stride bcLdr (floats); with im2col, each sample's dY rows at bcDY gathered into D
  // at bcD too (−1: not).
  bcKind: 246, bcCount: 247, bcImage: 248, bcCols: 249, bcLdr: 250, bcDY: 251, bcD: 252,
  ints: 256,
});
/** @typedef {typeof CTRL} CtrlLayout */

/**
 * @typedef {object} KernelExports
 * @property {(tilesM: number, tilesN: number, kc: number, pA: number, rs: number, ks: number, ps: number, pB: number, kb: number, pb: number, pC: number, ldc: number, load: number) => void} tiles A's strides rs, ks, ps and B's kb, pb: packed or by rows (sgemm-kernel.ts)
 * @property {(src: number, ld: number, count: number, kc: number, R: number, panels: number, dst: number) => void} packRows byte addresses and strides: see pack-kernel.ts
 * @property {(src: number, ld: number, count: number, kc: number, R: number, panels: number, dst: number) => void} packCols the same
 */

/**
 * What a conv job needs besides the gemm kernels (conv-kernel.ts), byte addresses.
 * @typedef {object} ConvKernelExtras
 * @property {(...geometry: number[]) => void} im2col
 * @property {(...geometry: number[]) => void} col2im
 * @property {(dst: number, ld: number, rows: number, cols: number, src: number) => void} fillRows
 * @property {(src: number, ls: number, dst: number, ld: number, rows: number, cols: number) => void} copyRows
 * @property {(src: number, ls: number, rows: number, cols: number, dst: number) => void} addRowSums
 * @property {(p: number, q: number, vectors: number) => void} relu elementwise-kernel.ts: relu(src, dst, vectors)
 * @property {(pY: number, pD: number, pX: number, vectors: number) => void} reluBackward reluBackward(pY, pDY, pDX, vectors)
 * @typedef {KernelExports & ConvKernelExtras} ConvKernelExports
 */

/**
 * ⌈a / b⌉ for non-negative integers, in small-integer arithmetic: `Math.ceil(a / b)` boxes a / b as a
 * heap number wherever V8 runs the caller unoptimized (a step's glue runs for hundreds of steps
 * before it is optimized), while an exact division of small integers stays a small integer.
 *
 * @param {number} a
 * @param {number} b
 * @returns {number}
 */
export function ceilDiv(a, b) {
  const s = a + b - 1;
  return (s - (s % b)) / b;
}

/**
 * x rounded up to a multiple of m (non-negative integers), without heap numbers (see ceilDiv).
 *
 * @param {number} x
 * @param {number} m
 * @returns {number}
 */
export function roundUp(x, m) {
  return ceilDiv(x, m) * m;
}

/**
 * Floats of work space a gemm takes from `free` on with `threads` threads (setupGemm lays it out):
 * slack, the unsplit operand packed whole, and per thread one k slice of a chunk's panels.
 *
 * @param {number} M
 * @param {number} N
 * @param {number} K
 * @param {number} MR
 * @param {number} NR
 * @param {number} KC
 * @param {number} threads
 * @returns {number}
 */
export function gemmWorkFloats(M, N, K, MR, NR, KC, threads) {
  const tilesM = ceilDiv(M, MR), tilesN = ceilDiv(N, NR);
  const splitN = tilesN >= tilesM;
  const all = splitN ? tilesN : tilesM;
  const kcMax = Math.min(KC, K), slices = ceilDiv(K, KC);
  const packed = slices * kcMax * (splitN ? tilesM * MR : tilesN * NR);
  return NR + 32 + packed + threads * panelsStride(all, chunkCount(all, threads), splitN ? NR : MR, kcMax);
}

/**
 * Chunks of `all` tiles for `threads` threads: a few per thread, at most 64 tiles each.
 *
 * @param {number} all
 * @param {number} threads
 * @returns {number}
 */
function chunkCount(all, threads) {
  return Math.min(all, Math.max(4 * threads, ceilDiv(all, 64)));
}

/**
 * Floats of one k slice of a chunk's packed panels (R rows each), on whole cache lines.
 *
 * @param {number} all
 * @param {number} chunks
 * @param {number} R
 * @param {number} kcMax
 * @returns {number}
 */
function panelsStride(all, chunks, R, kcMax) {
  return roundUp(ceilDiv(all, chunks) * R * kcMax, 16);
}

/**
 * Writes a gemm job into the block at o (C (+)= op(A)·op(B), positions in floats, row strides lda,
 * ldb, ldc), its work space from `free`. Chunks: a few per thread, so one can take over a slow
 * one's share, and at most 64 tiles, so a chunk's packed slice stays in L2.
 *
 * @param {Int32Array} c
 * @param {number} o
 * @param {CtrlLayout} L
 * @param {number} transA
 * @param {number} transB
 * @param {number} M
 * @param {number} N
 * @param {number} K
 * @param {number} pA
 * @param {number} pB
 * @param {number} pC
 * @param {number} ldc
 * @param {number} accumulate
 * @param {number} lda
 * @param {number} ldb
 * @param {number} free
 * @param {number} threads
 * @returns {void}
 */
export function setupGemm(c, o, L, transA, transB, M, N, K, pA, pB, pC, ldc, accumulate, lda, ldb, free, threads) {
  const MR = c[L.MR], NR = c[L.NR], KC = c[L.KC];
  c[o + L.MR] = MR;
  c[o + L.NR] = NR;
  c[o + L.KC] = KC;
  const tilesM = ceilDiv(M, MR), tilesN = ceilDiv(N, NR);
  const splitN = tilesN >= tilesM;
  const all = splitN ? tilesN : tilesM;
  const chunks = chunkCount(all, threads);
  const kcMax = Math.min(KC, K), slices = ceilDiv(K, KC);
  const packed = roundUp(free + NR, 16); // packCols may read up to R − 1 floats past its source
  const scratch = roundUp(packed + slices * kcMax * (splitN ? tilesM * MR : tilesN * NR), 16);
  c[o + L.transA] = transA;
  c[o + L.transB] = transB;
  c[o + L.M] = M;
  c[o + L.N] = N;
  c[o + L.K] = K;
  c[o + L.pA] = pA;
  c[o + L.pB] = pB;
  c[o + L.pC] = pC;
  c[o + L.ldc] = ldc;
  c[o + L.lda] = lda;
  c[o + L.ldb] = ldb;
  c[o + L.accumulate] = accumulate;
  c[o + L.threads] = threads;
  c[o + L.splitN] = splitN ? 1 : 0;
  c[o + L.packed] = packed;
  c[o + L.chunks] = chunks;
  c[o + L.scratch] = scratch;
  c[o + L.scratchStride] = panelsStride(all, chunks, splitN ? NR : MR, kcMax);
  c[o + L.next] = 0;
}

/**
 * Packs rows [first·R, …) of op(X) (R = MR for A, NR for B), `panels` panels, kc slice from k = pc,
 * at dst (floats). op(A) = A (rows stored) or Aᵀ; op(B)ᵀ's rows are B's columns (B stored) or rows (Bᵀ).
 *
 * @param {KernelExports} e
 * @param {Int32Array} c
 * @param {number} o
 * @param {CtrlLayout} L
 * @param {boolean} isA
 * @param {number} first
 * @param {number} panels
 * @param {number} pc
 * @param {number} kc
 * @param {number} dst
 * @returns {void}
 */
function packPanels(e, c, o, L, isA, first, panels, pc, kc, dst) {
  const R = isA ? c[o + L.MR] : c[o + L.NR];
  const count = isA ? c[o + L.M] : c[o + L.N];
  const p = isA ? c[o + L.pA] : c[o + L.pB];
  // Stored with the k index along rows (A stored as Aᵀ, B stored as B) or along columns.
  const kAlongRows = isA ? c[o + L.transA] !== 0 : c[o + L.transB] === 0;
  const ld = 4 * (isA ? c[o + L.lda] : c[o + L.ldb]); // the stored row stride in bytes
  const i0 = first * R;
  if (kAlongRows) e.packCols(4 * (p + i0) + pc * ld, ld, count - i0, kc, R, panels, 4 * dst);
  else e.packRows(4 * (p + pc) + i0 * ld, ld, count - i0, kc, R, panels, 4 * dst);
}

/**
 * Whether the gemm in the block at o reads A by rows where it is stored (tilesRows) instead of packing it: A stored
 * by rows (not transposed) in whole MR-row panels, and either few columns of C (N ≤ 64: packing A costs as much as
 * a multiply-add per element and is used only N/8 times) or a small A (M·K ≤ 65,536 floats: its rows stay in L2).
 * A large A read by rows for many B panels streams from scattered rows, slower than a packed copy. The same products
 * in the same order either way: the choice changes no bit. Measured (gemmNN, medians, a loaded 2-core EPYC, packed
 * → rows µs): 256×16×1152 604 → 436, 512×32×2304 3,716 → 2,158, 64×16×288 24.8 → 16.8, 64×576×288 869 → 617,
 * 128×576×576 4,127 → 3,750, 256×256×1152 5,038 → 6,589 (rows lose: packed).
 *
 * @param {Int32Array} c
 * @param {number} o
 * @param {CtrlLayout} L
 * @returns {boolean}
 */
export function rowsA(c, o, L) {
  const M = c[o + L.M], N = c[o + L.N], K = c[o + L.K];
  return c[o + L.transA] === 0 && M % c[o + L.MR] === 0 && (N <= 64 || M * K <= 65536);
}

/**
 * Whether the gemm in the block at o reads B by rows where it is stored instead of packing it: B stored by rows (not
 * transposed: a conv's column matrix, a linear layer's W in dY·W) in whole NR-column panels, and a row stride that
 * keeps a panel's rows in many L1 sets. Rows 4 KiB apart fall into the same set and evict each other as the kernel
 * walks down a panel: never by rows then. Rows 512 B to 2 KiB apart fall into 2 to 8 sets of 64: by rows only for
 * M ≤ 32, where few A panels read each B panel again. Measured (gemmNN, medians, a 2-core EPYC at load 2-3, packed →
 * rows µs): 64×576×288 481 → 444, 32×784×150 185 → 160, 6×784×25 13.5 → 9.2, 32×1568×128 309 → 265, 16×1000×27
 * 23.2 → 17.4, 64×9200×128 3,428 → 3,164; with 4 KiB strides rows lose: 32×2048×128 405 → 660, 32×9216×128 2,063 →
 * 2,994. Rows over packed, 21 interleaved pairs in one process, median ratio: 2 KiB strides (N = 512) at M = 256,
 * 128, 64, 32: 1.31, 1.21, 1.06, 1.02; 1 KiB (N = 256) at M = 512, 288, 32, 16: 1.22, 1.16, 1.04, 0.75; 512 B (N =
 * 128) at M = 256, 64: 1.17, 1.15; strides off 512 B multiples stay by rows: 64×576×288 0.94, 32×784×150 0.84.
 *
 * @param {Int32Array} c
 * @param {number} o
 * @param {CtrlLayout} L
 * @returns {boolean}
 */
export function rowsB(c, o, L) {
  const ldb = c[o + L.ldb];
  return c[o + L.transB] === 0 && c[o + L.N] % c[o + L.NR] === 0 && ldb % 1024 !== 0 && (c[o + L.M] <= 32 || ldb % 128 !== 0);
}

/**
 * The caller, before the threads start: the operand that is not split, every kc slice, at `packed`.
 *
 * @param {KernelExports} e
 * @param {Int32Array} c
 * @param {number} o
 * @param {CtrlLayout} L
 * @returns {void}
 */
export function packOperand(e, c, o, L) {
  const splitN = c[o + L.splitN] !== 0, K = c[o + L.K], KC = c[o + L.KC];
  if (splitN ? rowsA(c, o, L) : rowsB(c, o, L)) return; // read where it is stored
  const R = splitN ? c[o + L.MR] : c[o + L.NR];
  const panels = ceilDiv(splitN ? c[o + L.M] : c[o + L.N], R);
  const sliceFloats = panels * R * Math.min(KC, K);
  for (let pc = 0, s = 0; pc < K; pc += KC, s++) packPanels(e, c, o, L, splitN, 0, panels, pc, Math.min(KC, K - pc), c[o + L.packed] + s * sliceFloats);
}

/**
 * Thread t's part of the gemm in the block at o: chunks of C (+)= op(A)·op(B), claimed until none is left.
 *
 * @param {KernelExports} e
 * @param {Int32Array} c
 * @param {number} o
 * @param {CtrlLayout} L
 * @param {number} t
 * @returns {void}
 */
export function gemmPart(e, c, o, L, t) {
  if (t >= c[o + L.threads]) return; // a worker this job does not use
  const M = c[o + L.M], N = c[o + L.N], K = c[o + L.K], MR = c[o + L.MR], NR = c[o + L.NR], KC = c[o + L.KC];
  const splitN = c[o + L.splitN] !== 0, pC = c[o + L.pC], ldc = c[o + L.ldc], accumulate = c[o + L.accumulate] !== 0;
  const tilesM = ceilDiv(M, MR), tilesN = ceilDiv(N, NR);
  const all = splitN ? tilesN : tilesM;
  const chunks = c[o + L.chunks], per = ceilDiv(all, chunks);
  const kcMax = Math.min(KC, K);
  const sliceFloats = (splitN ? tilesM * MR : tilesN * NR) * kcMax; // one slice of the packed unsplit operand
  const own = c[o + L.scratch] + t * c[o + L.scratchStride]; // this thread's panels of the split operand, one slice
  const byRows = rowsA(c, o, L), pA = c[o + L.pA], lda = c[o + L.lda];
  const bRows = rowsB(c, o, L), pB = c[o + L.pB], ldb = c[o + L.ldb];
  let done = 0;
  for (let chunk = Atomics.add(c, o + L.next, 1); chunk < chunks; chunk = Atomics.add(c, o + L.next, 1)) {
    const lo = chunk * per, n = Math.min(all, lo + per) - lo;
    if (n <= 0) continue; // the kernels' loops run at least once
    done++;
    for (let pc = 0, s = 0; pc < K; pc += KC, s++) {
      const kc = Math.min(KC, K - pc);
      const shared = c[o + L.packed] + s * sliceFloats;
      const load = accumulate || pc > 0 ? 1 : 0;
      // the split operand's panels for this chunk, unless it is read by rows where it is stored
      if (splitN ? !bRows : !byRows) packPanels(e, c, o, L, !splitN, lo, n, pc, kc, own);
      // each operand by rows where it is stored, or its packed panels (the shared slice, or this chunk's)
      const a = byRows ? pA + (splitN ? 0 : lo * MR * lda) + pc : splitN ? shared : own;
      const rs = byRows ? 4 * lda : 4, ks = byRows ? 4 : 4 * MR, ps = byRows ? 4 * MR * lda : 4 * MR * kc;
      const b = bRows ? pB + pc * ldb + (splitN ? lo * NR : 0) : splitN ? own : shared;
      const kb = bRows ? 4 * ldb : 4 * NR, pb = bRows ? 4 * NR : 4 * NR * kc;
      if (splitN) e.tiles(tilesM, n, kc, 4 * a, rs, ks, ps, 4 * b, kb, pb, 4 * (pC + lo * NR), 4 * ldc, load);
      else e.tiles(n, tilesN, kc, 4 * a, rs, ks, ps, 4 * b, kb, pb, 4 * (pC + lo * MR * ldc), 4 * ldc, load);
    }
  }
  if (t > 0 && done > 0) Atomics.add(c, o + L.workerChunks, done);
}

/**
 * One product on this thread alone, with the private block at o and work space from `free`.
 *
 * @param {ConvKernelExports} e
 * @param {Int32Array} c
 * @param {number} o
 * @param {CtrlLayout} L
 * @param {number} transA
 * @param {number} transB
 * @param {number} M
 * @param {number} N
 * @param {number} K
 * @param {number} pA
 * @param {number} pB
 * @param {number} pC
 * @param {number} ldc
 * @param {number} accumulate
 * @param {number} lda
 * @param {number} ldb
 * @param {number} free
 * @returns {void}
 */
function gemmOne(e, c, o, L, transA, transB, M, N, K, pA, pB, pC, ldc, accumulate, lda, ldb, free) {
  setupGemm(c, o, L, transA, transB, M, N, K, pA, pB, pC, ldc, accumulate, lda, ldb, free, 1);
  packOperand(e, c, o, L);
  gemmPart(e, c, o, L, 0);
}

/**
 * Thread t's part of a conv2d forward job: whole samples, claimed until none is left.
 *
 * @param {ConvKernelExports} e
 * @param {Int32Array} c
 * @param {CtrlLayout} L
 * @param {number} t
 * @returns {void}
 */
export function convForwardPart(e, c, L, t) {
  if (t >= c[L.threads]) return;
  const n = c[L.cvN], cin = c[L.cin], h = c[L.h], w = c[L.w], cout = c[L.cout], ho = c[L.ho], wo = c[L.wo], kh = c[L.kh], kw = c[L.kw];
  const groups = c[L.groups], P = ho * wo, cog = cout / groups, K = (cin / groups) * kh * kw, inS = cin * h * w, outS = cout * P;
  const pX = c[L.pX], pW = c[L.pW], pBias = c[L.pBias], pY = c[L.pY], sampleC = c[L.sampleC], ldy = c[L.ldy], groupRows = c[L.groupRows], pOut = c[L.pOut];
  const pRelu = c[L.pRelu];
  const own = c[L.tScratch] + t * c[L.tStride]; // the private gemm block (ints), then col
  const col = own + 64;
  const work = col + roundUp(cin * kh * kw * P, 16);
  for (let s = Atomics.add(c, L.next, 1); s < n; s = Atomics.add(c, L.next, 1)) {
    e.im2col(4 * (pX + s * inS), 4 * col, 4 * P, cin, h, w, kh, kw, c[L.sh], c[L.sw], c[L.dh], c[L.dw], c[L.top], c[L.left], ho, wo);
    for (let gi = 0; gi < groups; gi++) {
      const y0 = pY + s * sampleC + gi * groupRows * ldy;
      if (pBias >= 0) e.fillRows(4 * y0, 4 * ldy, cog, P, 4 * (pBias + gi * cog));
      gemmOne(e, c, own, L, 0, 0, cog, P, K, pW + gi * cog * K, col + gi * K * P, y0, ldy, pBias >= 0 ? 1 : 0, K, P, work);
      if (pOut >= 0) e.copyRows(4 * y0, 4 * ldy, 4 * (pOut + s * outS + gi * cog * P), 4 * P, cog, P);
    }
    // A fused relu layer, on the sample while it is in cache (outS is a whole number of vectors here).
    if (pRelu >= 0) e.relu(4 * ((pOut >= 0 ? pOut : pY) + s * outS), 4 * (pRelu + s * outS), outS >> 2);
  }
}

/**
 * Thread t's part of a conv2d backward job: whole blocks of samples, claimed until none is left.
 * For each block, its own partial dW (zeroed, then += dY·colᵀ sample after sample) and, with a
 * bias, partial dB (+= each sample's row sums of dY); for each
 * sample, dX = col2im(Wᵀ·dY) into the sample's own rows of dX (zeroed first, by the same thread).
 * Two variants serve conv_transpose2d, the adjoint of this conv (conv.ts: convTranspose2dForward):
 * pParts < 0 computes no weight gradient (nor dB), and pBias ≥ 0 starts each channel of dX at
 * that bias instead of zero (Int32Array.fill with the float's bits: the bits of the float).
 *
 * @param {ConvKernelExports} e
 * @param {Int32Array} c
 * @param {CtrlLayout} L
 * @param {number} t
 * @returns {void}
 */
export function convBackwardPart(e, c, L, t) {
  if (t >= c[L.threads]) return;
  const n = c[L.cvN], cin = c[L.cin], h = c[L.h], w = c[L.w], cout = c[L.cout], ho = c[L.ho], wo = c[L.wo], kh = c[L.kh], kw = c[L.kw];
  const sh = c[L.sh], sw = c[L.sw], dh = c[L.dh], dw = c[L.dw], top = c[L.top], left = c[L.left];
  const groups = c[L.groups], P = ho * wo, cog = cout / groups, cig = cin / groups, K = cig * kh * kw, inS = cin * h * w, outS = cout * P;
  const pX = c[L.pX], pW = c[L.pW], pDY = c[L.pDY], pParts = c[L.pParts], partStride = c[L.partStride], ldw = c[L.ldw], dwRows = c[L.dwRows];
  const pDX = c[L.pDX], ldd = c[L.ldd], dcolRows = c[L.dcolRows], units = c[L.units], per = c[L.perUnit], dbOff = c[L.dbOff];
  const pReluY = c[L.pReluY], pReluDY = c[L.pReluDY], pStart = c[L.pBias];
  const weights = pParts >= 0, plane = h * w;
  const own = c[L.tScratch] + t * c[L.tStride]; // the private gemm block (ints), then col, dCol
  const col = own + 64;
  const dcol = col + (weights ? roundUp(cin * kh * kw * P, 16) : 0);
  const work = dcol + (pDX >= 0 ? roundUp(groups * dcolRows * ldd, 16) : 0);
  for (let u = Atomics.add(c, L.next, 1); u < units; u = Atomics.add(c, L.next, 1)) {
    const part = pParts + u * partStride;
    if (weights) c.fill(0, part, part + partStride); // the bits of +0.0f
    for (let s = u * per; s < n && s < (u + 1) * per; s++) {
      const dy = pDY + s * outS;
      // A fused relu layer: this sample's dY = the relu's dY where its output is positive, else 0.
      if (pReluY >= 0) e.reluBackward(4 * (pReluY + s * outS), 4 * (pReluDY + s * outS), 4 * dy, outS >> 2);
      if (weights) {
        e.im2col(4 * (pX + s * inS), 4 * col, 4 * P, cin, h, w, kh, kw, sh, sw, dh, dw, top, left, ho, wo);
        if (dbOff >= 0) e.addRowSums(4 * dy, 4 * P, cout, P, 4 * (part + dbOff));
        for (let gi = 0; gi < groups; gi++) {
          gemmOne(e, c, own, L, 0, 1, cog, K, P, dy + gi * cog * P, col + gi * K * P, part + gi * dwRows * ldw, ldw, 1, P, P, work);
        }
      }
      if (pDX < 0) continue;
      // The sample's dX, zeroed (the bits of +0.0f) or set to its start here while it is about to be in cache.
      const dx = pDX + s * inS;
      if (pStart < 0) c.fill(0, dx, dx + inS);
      else for (let ch = 0; ch < cin; ch++) c.fill(c[pStart + ch], dx + ch * plane, dx + (ch + 1) * plane);
      for (let gi = 0; gi < groups; gi++) {
        const dc = dcol + gi * dcolRows * ldd;
        gemmOne(e, c, own, L, 1, 0, K, P, cog, pW + gi * cog * K, dy + gi * cog * P, dc, ldd, 0, K, P, work);
        e.col2im(4 * dc, 4 * (pDX + s * inS + gi * cig * h * w), 4 * ldd, cig, h, w, kh, kw, sh, sw, dh, dw, top, left, ho, wo);
      }
    }
  }
}

/**
 * The export name of the direct forward kernel for cb output channels × rb rows × vb vectors (direct.ts names its
 * kernels by it).
 *
 * @param {number} cb
 * @param {number} vb
 * @param {number} rb
 * @returns {string}
 */
export function directForwardName(cb, vb, rb) {
  return `forward${cb}x${vb}${rb > 1 ? `r${rb}` : ''}`;
}

/** The direct kernels' export names (direct-kernel.ts), by 64·rb + 8·cb + vb (the forward's) and vb: constants, so a job
 *  allocates no string. */
const DIRECT_FORWARD = /** @type {string[]} */ ([]);
const DIRECT_DATA = /** @type {string[]} */ ([]);
const DIRECT_WEIGHTS = /** @type {string[]} */ ([]);
for (const rb of [1, 2]) for (const cb of [1, 2, 4]) for (const vb of [1, 2, 4]) DIRECT_FORWARD[64 * rb + 8 * cb + vb] = directForwardName(cb, vb, rb);
for (const vb of [1, 2, 4]) { DIRECT_DATA[vb] = `data${vb}`; DIRECT_WEIGHTS[vb] = `weights${vb}`; }

/**
 * The direct kernels' (direct-kernel.ts) and the few gemm-module ones they use, by name.
 * @typedef {Record<string, (...args: number[]) => void>} DirectKernels
 */

/**
 * phase(…) of the job's geometry: image (floats) into the phased layout at `phased`, or back (back = 1).
 *
 * @param {DirectKernels} e
 * @param {Int32Array} c
 * @param {CtrlLayout} L
 * @param {number} image
 * @param {number} phased
 * @param {number} back
 * @returns {void}
 */
function directPhase(e, c, L, image, phased, back) {
  e.phase(4 * image, 4 * phased, c[L.cin], c[L.h], c[L.w], c[L.top], 4 * c[L.dRowLen], 4 * c[L.dPlane], c[L.sw], 4 * (c[L.dTab] + c[L.kw]), back);
}

/**
 * Thread t's part of a direct conv2d forward job (direct.ts): whole samples, claimed until none is
 * left; each phased into the thread's own buffer, then cb output channels × rb rows × 4·vb columns at a time.
 *
 * @param {DirectKernels} e
 * @param {Int32Array} c
 * @param {CtrlLayout} L
 * @param {number} t
 * @returns {void}
 */
export function directForwardPart(e, c, L, t) {
  if (t >= c[L.threads]) return;
  const n = c[L.cvN], cin = c[L.cin], h = c[L.h], w = c[L.w], cout = c[L.cout], ho = c[L.ho], wo = c[L.wo], kh = c[L.kh], kw = c[L.kw];
  const groups = c[L.groups], cig = cin / groups, cog = cout / groups, tap = cig * kh * kw, inS = cin * h * w, outS = cout * ho * wo;
  const cb = c[L.dCb], vb = c[L.dVb], rb = c[L.dRb], woP = c[L.dWoP], hoP = c[L.dHoP], rowLen = c[L.dRowLen], chan = c[L.sw] * c[L.dPlane];
  const pX = c[L.pX], pWr = c[L.pW], pBias = c[L.pBias], pY = c[L.pY];
  const padded = woP !== wo || hoP !== ho;
  const xp = c[L.tScratch] + t * c[L.tStride], yp = xp + roundUp(cin * chan, 16);
  const fwd = e[DIRECT_FORWARD[64 * rb + 8 * cb + vb]];
  // A group a block (depthwise, channel multipliers 2 and 4): one call takes every group, xp moving on by a
  // group's channels after each block; else a call a group, its cog / cb blocks reading the same channels.
  const oneCall = cb === cog, calls = oneCall ? 1 : groups, blocks = oneCall ? groups : cog / cb, xStep = oneCall ? 4 * cig * chan : 0;
  const ldo = 4 * (padded ? woP : wo), outPlane = (padded ? hoP : ho) * ldo, shRow = 4 * c[L.sh] * rowLen, tapTab = c[L.dTaps];
  let fresh = true;
  for (let s = Atomics.add(c, L.next, 1); s < n; s = Atomics.add(c, L.next, 1)) {
    if (fresh) c.fill(0, xp, xp + cin * chan); // the padding, zero for every sample this thread takes (the bits of +0.0f)
    fresh = false;
    directPhase(e, c, L, pX + s * inS, xp, 0);
    const out = padded ? yp : pY + s * outS;
    for (let gi = 0; gi < calls; gi++) {
      fwd(4 * (xp + gi * cig * chan), 4 * (pWr + gi * cog * tap), pBias < 0 ? 0 : 4 * (pBias + gi * cog), pBias < 0 ? 0 : 1,
        4 * out + gi * cog * outPlane, blocks, tap, 4 * tapTab, shRow, hoP, woP / (4 * vb), ldo, outPlane, xStep);
    }
    // The padded planes' first ho rows of wo columns: one copy where the planes have ho rows, else one a plane.
    if (padded && hoP === ho) e.copyRows(4 * yp, ldo, 4 * (pY + s * outS), 4 * wo, cout * ho, wo);
    else if (padded) for (let co = 0; co < cout; co++) e.copyRows(4 * yp + co * outPlane, ldo, 4 * (pY + s * outS + co * ho * wo), 4 * wo, ho, wo);
  }
}

/**
 * Thread t's part of a direct conv2d backward job (direct.ts): whole blocks of samples, claimed
 * until none is left. For each block its own partial dW (zeroed, then += each sample's, in order)
 * and, with a bias, partial dB (+= each sample's row sums of dY); for each sample, dX into its own
 * rows of dX (through the thread's phased buffer). dY is copied into rows of woP floats, hoP rows a
 * plane, zero past wo and ho, unless it has that shape already.
 *
 * @param {DirectKernels} e
 * @param {Int32Array} c
 * @param {CtrlLayout} L
 * @param {number} t
 * @returns {void}
 */
export function directBackwardPart(e, c, L, t) {
  if (t >= c[L.threads]) return;
  const n = c[L.cvN], cin = c[L.cin], h = c[L.h], w = c[L.w], cout = c[L.cout], ho = c[L.ho], wo = c[L.wo], kh = c[L.kh], kw = c[L.kw];
  const groups = c[L.groups], cig = cin / groups, cog = cout / groups, tap = cig * kh * kw, inS = cin * h * w, P = ho * wo, outS = cout * P;
  const vb = c[L.dVb], woP = c[L.dWoP], hoP = c[L.dHoP], rowLen = c[L.dRowLen], chan = c[L.sw] * c[L.dPlane];
  const pX = c[L.pX], pW = c[L.pW], pDY = c[L.pDY], pDX = c[L.pDX], pParts = c[L.pParts], partStride = c[L.partStride];
  const units = c[L.units], per = c[L.perUnit], dbOff = c[L.dbOff], pTab = c[L.dTab];
  const padded = woP !== wo || hoP !== ho;
  const rb = 4 / vb, vblocks = woP / (4 * vb), rowBlocks = hoP / rb;
  const xp = c[L.tScratch] + t * c[L.tStride], dyp = xp + roundUp(cin * chan, 16), dxp = dyp + roundUp(cout * hoP * woP, 16);
  const wk = e[DIRECT_WEIGHTS[vb]], dk = e[DIRECT_DATA[vb]];
  const ldy = 4 * woP, dyPlane = hoP * ldy, dhRow = 4 * c[L.dh] * rowLen, shRow = 4 * c[L.sh] * rowLen;
  let fresh = true;
  for (let u = Atomics.add(c, L.next, 1); u < units; u = Atomics.add(c, L.next, 1)) {
    if (fresh) {
      c.fill(0, xp, xp + cin * chan); // the padding (the bits of +0.0f)
      if (padded) c.fill(0, dyp, dyp + cout * hoP * woP);
    }
    fresh = false;
    const part = pParts + u * partStride;
    c.fill(0, part, part + partStride);
    for (let s = u * per; s < n && s < (u + 1) * per; s++) {
      directPhase(e, c, L, pX + s * inS, xp, 0);
      const dy = pDY + s * outS;
      if (padded) for (let co = 0; co < cout; co++) e.copyRows(4 * (dy + co * P), 4 * wo, 4 * dyp + co * dyPlane, ldy, ho, wo);
      const y = padded ? dyp : dy;
      if (dbOff >= 0) e.addRowSums(4 * dy, 4 * P, cout, P, 4 * (part + dbOff));
      for (let gi = 0; gi < groups; gi++) {
        wk(4 * y + gi * cog * dyPlane, 4 * (xp + gi * cig * chan), 4 * (part + gi * cog * tap), cog, cig, kh, kw, rowBlocks, vblocks, dyPlane, ldy, 4 * chan, dhRow, shRow, 4 * pTab);
      }
      if (pDX < 0) continue;
      c.fill(0, dxp, dxp + cin * chan);
      for (let gi = 0; gi < groups; gi++) {
        dk(4 * y + gi * cog * dyPlane, 4 * (pW + gi * cog * tap), 4 * (dxp + gi * cig * chan), cig, cog, kh, kw, rowBlocks, vblocks, 4 * tap, dyPlane, ldy, 4 * chan, dhRow, shRow, 4 * pTab);
      }
      directPhase(e, c, L, pDX + s * inS, dxp, 1);
    }
  }
}

/**
 * The depthwise kernels (depthwise-kernel.ts), by name.
 * @typedef {Record<string, (...args: number[]) => void>} DepthwiseKernels
 */

/** Channels a depthwise block (depthwise-kernel.ts CB): the lanes of four vectors. */
const DW_CB = 16;

/**
 * Thread t's part of a depthwise conv2d forward job (depthwise.ts): units of (sample, block of 16 channels), claimed
 * until none is left; each block copied channel-last into the thread's zero-bordered scratch, its output pixels computed channel-last, then laid out as planes.
 *
 * @param {DepthwiseKernels} e
 * @param {Int32Array} c
 * @param {CtrlLayout} L
 * @param {number} t
 * @returns {void}
 */
export function depthwiseForwardPart(e, c, L, t) {
  if (t >= c[L.threads]) return;
  const n = c[L.cvN], C = c[L.cin], h = c[L.h], w = c[L.w], ho = c[L.ho], wo = c[L.wo], kh = c[L.kh], kw = c[L.kw];
  const Hp = c[L.dwHp], Wp = c[L.dwWp], pX = c[L.pX], pY = c[L.pY], pWt = c[L.dwWt], pBt = c[L.dwBt];
  const blocks = ceilDiv(C, DW_CB), taps = kh * kw, P = h * w, Q = ho * wo;
  const xs = c[L.tScratch] + t * c[L.tStride], ys = xs + Hp * Wp * DW_CB;
  const px = 4 * DW_CB, rowStep = px * c[L.sh] * Wp, colStep = px * c[L.sw], dhStep = px * c[L.dh] * Wp, dwStep = px * c[L.dw];
  const interior = 4 * (xs + (c[L.top] * Wp + c[L.left]) * DW_CB), skip = px * (Wp - w);
  let done = 0;
  for (let u = Atomics.add(c, L.next, 1); u < n * blocks; u = Atomics.add(c, L.next, 1)) {
    if (done === 0) c.fill(0, xs, xs + Hp * Wp * DW_CB); // the border is the padding (the bits of +0.0f)
    const b = u % blocks, s = (u - b) / blocks, c0 = b * DW_CB, cv = Math.min(DW_CB, C - c0);
    e.dwIn(4 * (pX + s * C * P + c0 * P), interior, cv, h, w, skip);
    e.dwForward(4 * xs, 4 * (pWt + b * taps * DW_CB), 4 * (pBt + c0), 4 * ys, ho, wo, kh, kw, rowStep, colStep, dhStep, dwStep);
    e.dwOut(4 * ys, 4 * (pY + s * C * Q + c0 * Q), cv, ho, wo, 0);
    done++;
  }
  if (t > 0 && done > 0) Atomics.add(c, L.workerChunks, done);
}

/**
 * Thread t's part of a depthwise conv2d backward job: blocks of 16 channels claimed until none is left, each over every
 * sample in order — its dW and dB summed in the block's own accumulators, then added to dW and dB once; dX (when
 * pDX ≥ 0) of each sample scattered in the padded scratch, then copied out.
 *
 * @param {DepthwiseKernels} e
 * @param {Int32Array} c
 * @param {CtrlLayout} L
 * @param {number} t
 * @returns {void}
 */
export function depthwiseBackwardPart(e, c, L, t) {
  if (t >= c[L.threads]) return;
  const n = c[L.cvN], C = c[L.cin], h = c[L.h], w = c[L.w], ho = c[L.ho], wo = c[L.wo], kh = c[L.kh], kw = c[L.kw];
  const Hp = c[L.dwHp], Wp = c[L.dwWp], pX = c[L.pX], pDY = c[L.pDY], pDX = c[L.pDX], pDW = c[L.dwDW], pDB = c[L.dwDB], pWt = c[L.dwWt];
  const blocks = ceilDiv(C, DW_CB), taps = kh * kw, P = h * w, Q = ho * wo, padded = Hp * Wp * DW_CB;
  const xs = c[L.tScratch] + t * c[L.tStride], ds = xs + padded, dxs = ds + Q * DW_CB, acc = dxs + padded, dbAcc = acc + taps * DW_CB;
  const px = 4 * DW_CB, rowStep = px * c[L.sh] * Wp, colStep = px * c[L.sw], dhStep = px * c[L.dh] * Wp, dwStep = px * c[L.dw];
  const at = (c[L.top] * Wp + c[L.left]) * DW_CB, skip = px * (Wp - w);
  let done = 0;
  for (let b = Atomics.add(c, L.next, 1); b < blocks; b = Atomics.add(c, L.next, 1)) {
    if (done === 0) c.fill(0, xs, xs + padded); // the border is the padding (the bits of +0.0f)
    c.fill(0, acc, dbAcc + DW_CB);
    const c0 = b * DW_CB, cv = Math.min(DW_CB, C - c0);
    for (let s = 0; s < n; s++) {
      e.dwIn(4 * (pX + s * C * P + c0 * P), 4 * (xs + at), cv, h, w, skip);
      e.dwIn(4 * (pDY + s * C * Q + c0 * Q), 4 * ds, cv, ho, wo, 0);
      e.dwWeights(4 * xs, 4 * ds, 4 * acc, pDB < 0 ? -1 : 4 * dbAcc, ho, wo, kh, kw, rowStep, colStep, dhStep, dwStep);
      if (pDX < 0) continue;
      e.dwData(4 * ds, 4 * (pWt + b * taps * DW_CB), 4 * dxs, 4 * padded, ho, wo, kh, kw, rowStep, colStep, dhStep, dwStep);
      e.dwOut(4 * (dxs + at), 4 * (pDX + s * C * P + c0 * P), cv, h, w, skip);
    }
    e.dwFlush(4 * acc, 4 * (pDW + c0 * taps), cv, taps, 4 * dbAcc, pDB < 0 ? -1 : 4 * (pDB + c0));
    done++;
  }
  if (t > 0 && done > 0) Atomics.add(c, L.workerChunks, done);
}

/** What a Winograd job (job 5) does: its kind (CTRL.wgKind). */
export const WG = /** @type {const} */ ({
  /** Unit = an input channel: each sample's plane copied into the thread's zero-bordered plane, then V = Bᵀ d B. */
  input: 0,
  /** Unit = an output channel: each sample's Y = Aᵀ M A (+ bias) into the thread's plane, then its corner copied out. */
  output: 1,
  /** Unit = an output channel (the weight gradient): each sample's dY copied into the thread's zero-bordered plane, then dM = A dY Aᵀ. */
  outputAdjoint: 2,
  /** Unit = one of the E products. */
  products: 3,
  /** Unit = a block of filters (an even count but the last): U = G g Gᵀ. */
  filters: 4,
  /** Unit = a block of dW's rows: dW += Gᵀ dU G. */
  gradient: 5,
});

/**
 * The Winograd kernels (winograd-kernel.ts, winograd4-kernel.ts, winograd-filter-kernel.ts) and the gemm module's,
 * by name. Every transform's rows of tiles of a channel are written by one thread, sample after sample: a group past a
 * row's last tile writes a few floats into the next sample's columns, which that sample's transform then overwrites.
 * @typedef {ConvKernelExports & Record<string, (...args: number[]) => void>} WinogradKernels
 */

/** Float32 and Float64 views of the memory behind c, made again only when the memory grows. @type {Float32Array | null} */
let floatView = null;
/** @type {Float64Array | null} */
let doubleView = null;

/**
 * @param {Int32Array} c
 * @returns {Float32Array}
 */
function floatsOf(c) {
  if (floatView === null || floatView.buffer !== c.buffer) floatView = new Float32Array(c.buffer);
  return floatView;
}

/**
 * @param {Int32Array} c
 * @returns {Float64Array}
 */
function doublesOf(c) {
  if (doubleView === null || doubleView.buffer !== c.buffer) doubleView = new Float64Array(c.buffer);
  return doubleView;
}

/** Which pass a batchnorm job (job 6) runs: its kind (CTRL.bnKind). Slot k of the float64 values is C values from bnF + k·C. */
export const BN = /** @type {const} */ ({
  /** slot 0 = Σ x */
  sums: 0,
  /** slot 1 = Σ (x − slot 0)² */
  sqDevs: 1,
  /** y (at bnD) = x·slot 0 + slot 1 */
  affine: 2,
  /** slots 1 and 2, interleaved (channel c's pair at bnF + C + 2c) = Σ dY, Σ dY·(x − slot 0) */
  gradSums: 3,
  /** dX = (dY − slot 1 − (x − slot 0)·slot 2)·slot 3 */
  gradInput: 4,
});

/**
 * batchnorm-kernel.ts's exports.
 * @typedef {{ bnSum: (p: number, n: number, count: number, stride: number) => number, bnSqDev: (p: number, n: number, count: number, stride: number, m: number) => number, bnAffine: (p: number, q: number, n: number, count: number, stride: number, a: number, b: number) => void, bnGradSums: (pX: number, pD: number, n: number, count: number, stride: number, m: number, out: number) => void, bnGradInput: (pX: number, pD: number, pO: number, n: number, count: number, stride: number, m: number, mdy: number, proj: number, g: number) => void }} BatchnormKernels
 */

/**
 * Thread t's part of a batchnorm pass (wasm/batchnorm.ts): channels claimed bnBlock at a time until none is left, each
 * by the one-channel kernel the single-threaded path calls: the same bits for any thread count.
 *
 * @param {BatchnormKernels} e
 * @param {Int32Array} c
 * @param {CtrlLayout} L
 * @param {number} t
 * @returns {void}
 */
export function batchnormPart(e, c, L, t) {
  if (t >= c[L.threads]) return;
  const kind = c[L.bnKind], C = c[L.bnC], block = c[L.bnBlock], n = c[L.bnN], count = c[L.bnCount], stride = c[L.bnStride];
  const pX = c[L.bnX], pD = c[L.bnD], pO = c[L.bnO], pF = c[L.bnF], f = doublesOf(c);
  for (let b = Atomics.add(c, L.next, 1); b * block < C; b = Atomics.add(c, L.next, 1)) {
    const end = Math.min(C, (b + 1) * block);
    for (let ch = b * block; ch < end; ch++) {
      const off = 4 * ch * count;
      if (kind === BN.sums) f[pF + ch] = e.bnSum(pX + off, n, count, stride);
      else if (kind === BN.sqDevs) f[pF + C + ch] = e.bnSqDev(pX + off, n, count, stride, f[pF + ch]);
      else if (kind === BN.affine) e.bnAffine(pX + off, pD + off, n, count, stride, f[pF + ch], f[pF + C + ch]);
      else if (kind === BN.gradSums) e.bnGradSums(pX + off, pD + off, n, count, stride, f[pF + ch], 8 * (pF + C + 2 * ch));
      else e.bnGradInput(pX + off, pD + off, pO + off, n, count, stride, f[pF + ch], f[pF + C + ch], f[pF + 2 * C + ch], f[pF + 3 * C + ch]);
    }
  }
}

/**
 * Thread t's part of a Winograd job (winograd.ts): units claimed wgBlock at a time until none is left. A unit's
 * result does not depend on which thread computed it, nor on the blocks: the same bits for any thread count.
 *
 * @param {WinogradKernels} e
 * @param {Int32Array} c
 * @param {CtrlLayout} L
 * @param {number} t
 * @returns {void}
 */
export function winogradPart(e, c, L, t) {
  if (t >= c[L.threads]) return;
  const kind = c[L.wgKind], units = c[L.wgUnits], block = c[L.wgBlock], m = c[L.wgM];
  const own = c[L.tScratch] + t * c[L.tStride]; // the private gemm block (64 ints), then the planes and the gemm's work
  const plane = own + c[L.wgPlane], pw = c[L.wgPw];
  const th = c[L.wgTh], groups = c[L.wgGroups], tw = c[L.wgTw], T = c[L.wgT], count = c[L.wgCount];
  const tiles = c[L.wgTiles], ld = c[L.wgLd], es = 4 * c[L.wgEs];
  const image = c[L.wgImage], imageS = c[L.wgImageS], imageC = c[L.wgImageC], imageW = 4 * c[L.wgImageW];
  const rows = c[L.wgRows], cols = c[L.wgCols], at = 4 * (plane + c[L.wgPOff]);
  const gather = kind === WG.input || kind === WG.outputAdjoint;
  const transform = kind === WG.input ? (m === 2 ? e.winogradIn : e.winograd4In) : kind === WG.output ? (m === 2 ? e.winogradOut : e.winograd4Out) : (m === 2 ? e.winogradOutAdjoint : e.winograd4OutAdjoint);
  let fresh = true, done = 0;
  for (let b = Atomics.add(c, L.next, 1); b * block < units; b = Atomics.add(c, L.next, 1)) {
    const first = b * block, end = Math.min(units, first + block);
    done++;
    if (kind === WG.filters) {
      (m === 2 ? e.filterTransform2 : e.filterTransform4)(4 * (c[L.wgW] + 9 * first), 4 * (tiles + first), es, end - first, c[L.wgFirst], c[L.wgRowStep], c[L.wgColStep]);
      continue;
    }
    if (kind === WG.gradient) {
      const cin = c[L.wgCin];
      (m === 2 ? e.filterGradient2 : e.filterGradient4)(4 * (tiles + first * ld), es, 4 * ld, 4 * (c[L.wgW] + 9 * first * cin), end - first, cin);
      continue;
    }
    // The plane's border stays zero: the copies write its inside only (the bits of +0.0f).
    if (fresh && gather) c.fill(0, plane, plane + c[L.wgPlaneFloats]);
    fresh = false;
    for (let u = first; u < end; u++) {
      if (kind === WG.products) {
        gemmOne(e, c, own, L, c[L.wgTransA], c[L.wgTransB], c[L.wgMM], c[L.wgNN], c[L.wgKK], c[L.wgA] + u * c[L.wgEsA], c[L.wgB] + u * c[L.wgEsB],
          c[L.wgC] + u * c[L.wgEsC], c[L.wgLdc], c[L.wgAcc], c[L.wgLda], c[L.wgLdb], own + c[L.wgWork]);
      } else if (gather) {
        for (let s = 0; s < count; s++) {
          if (rows > 0 && cols > 0) e.copyRows(4 * (image + s * imageS + u * imageC), imageW, at, 4 * pw, rows, cols);
          transform(4 * plane, 4 * pw, th, groups, tw, 4 * (tiles + u * ld + s * T), es);
        }
      } else {
        const bias = c[L.wgBias] < 0 ? 0 : floatsOf(c)[c[L.wgBias] + u];
        for (let s = 0; s < count; s++) {
          transform(4 * (tiles + u * ld + s * T), es, th, groups, tw, 4 * plane, 4 * pw, bias);
          e.copyRows(4 * plane, 4 * pw, 4 * (image + s * imageS + u * imageC), imageW, rows, cols);
        }
      }
    }
  }
  if (t > 0 && done > 0) Atomics.add(c, L.workerChunks, done);
}

/** The elementwise kernels a job (job 7) runs, by index (CTRL.ewKernel): elementwise-kernel.ts's (relu's count in
 *  vectors; add and mul: two inputs, float32), smooth-kernel.ts's and exact-kernel.ts's; each element is computed alone,
 *  so any split gives the same bits. */
export const ELEMENTWISE = /** @type {const} */ ([
  'relu', 'reluBackward', 'leaky', 'leakyBackward', 'clamp', 'clampBackward',
  'tanh', 'tanhBackward', 'sigmoid', 'sigmoidBackward', 'silu',
  'hardswish', 'hardsigmoid', 'hardswishBackward', 'hardsigmoidBackward', 'siluBackward',
  'add', 'mul',
]);

/**
 * Thread t's part of an elementwise job: blocks of the range claimed until none is left. Blocks are whole multiples
 * of 16 floats from the arrays' starts, so every element takes the kernel's vector or scalar path as in one call.
 *
 * @param {Record<string, (...args: number[]) => void>} e
 * @param {Int32Array} c
 * @param {CtrlLayout} L
 * @param {number} t
 * @returns {void}
 */
export function elementwisePart(e, c, L, t) {
  if (t >= c[L.threads]) return;
  const kernel = e[ELEMENTWISE[c[L.ewKernel]]], three = c[L.ewArrays] === 3, count = c[L.ewCount], block = c[L.ewBlock], unit = c[L.ewUnit];
  const p0 = c[L.ewP0], p1 = c[L.ewP1], p2 = c[L.ewP2], f = floatsOf(c), s0 = f[L.ewS0], s1 = f[L.ewS1];
  let done = 0;
  for (let b = Atomics.add(c, L.next, 1); b * block < count; b = Atomics.add(c, L.next, 1)) {
    const from = b * block, len = Math.min(block, count - from), off = from * unit;
    if (three) kernel(p0 + off, p1 + off, p2 + off, len, s0, s1);
    else kernel(p0 + off, p1 + off, len, s0, s1);
    done++;
  }
  if (t > 0 && done > 0) Atomics.add(c, L.workerChunks, done);
}

/** The optimizer kernels an update job (job 8) runs, by index (CTRL.opKernel), each (arrays…, n, integer args…): sgd-kernel.ts's
 *  (p, g, buf, n, hyper, first, nesterov), adam-kernel.ts's (p, g, m, v, n, scalars), and optim-kernel.ts's (rmsprop: p, g,
 *  square_avg, grad_avg, momentum_buffer; adagrad: p, g, sum; adadelta: p, g, square_avg, acc_delta; amsgrad: p, g, m, v,
 *  vmax; then n, scalars), emulated fma or fused (…Fused: optim-kernel.ts optimKernelName). Each element's update is
 *  alone: any split, the same bits. */
export const UPDATES = /** @type {const} */ ([
  'sgd', 'adam',
  'rmsprop', 'adagrad', 'adadelta', 'amsgrad',
  'rmspropFused', 'adagradFused', 'adadeltaFused', 'amsgradFused',
]);

/**
 * Thread t's part of an optimizer's update of one parameter: blocks of whole 16 floats claimed until none is left. An
 * absent slot stays −1 in every block (the kernels test for −1: RMSprop's grad_avg and momentum_buffer, SGD's buffer).
 *
 * @param {Record<string, (...args: number[]) => void>} e
 * @param {Int32Array} c
 * @param {CtrlLayout} L
 * @param {number} t
 * @returns {void}
 */
export function updatePart(e, c, L, t) {
  if (t >= c[L.threads]) return;
  const kernel = e[UPDATES[c[L.opKernel]]], arrays = c[L.opArrays], count = c[L.opCount], block = c[L.opBlock];
  const p0 = c[L.opP0], p1 = c[L.opP1], p2 = c[L.opP2], p3 = c[L.opP3], p4 = c[L.opP4], x0 = c[L.opX0], x1 = c[L.opX1], x2 = c[L.opX2];
  let done = 0;
  for (let b = Atomics.add(c, L.next, 1); b * block < count; b = Atomics.add(c, L.next, 1)) {
    const from = b * block, len = Math.min(block, count - from), off = 4 * from;
    const q2 = p2 < 0 ? -1 : p2 + off, q3 = p3 < 0 ? -1 : p3 + off, q4 = p4 < 0 ? -1 : p4 + off;
    if (arrays === 3) kernel(p0 + off, p1 + off, q2, len, x0, x1, x2);
    else if (arrays === 4) kernel(p0 + off, p1 + off, q2, q3, len, x0, x1, x2);
    else kernel(p0 + off, p1 + off, q2, q3, q4, len, x0, x1, x2);
    done++;
  }
  if (t > 0 && done > 0) Atomics.add(c, L.workerChunks, done);
}

/** The kernels over planes a job (job 9) runs, by index (CTRL.plKernel): the pools' (pool-kernel.ts, the gemm module's
 *  maxpool ones). Each plane is computed alone: any split, the same bits. */
export const PLANES = /** @type {const} */ (['maxpool2x2', 'maxpool', 'maxpoolS1', 'maxpoolS2', 'maxpoolBackward', 'gemvRows', 'avgpoolP1', 'avgpoolP2', 'avgpoolPBackward', 'adaptiveAvg', 'adaptiveAvgBackward', 'adaptiveMax']);

/**
 * Thread t's part of a job over planes: blocks of planes claimed until none is left, each one call of the kernel on them.
 *
 * @param {Record<string, (...args: number[]) => void>} e
 * @param {Int32Array} c
 * @param {CtrlLayout} L
 * @param {number} t
 * @returns {void}
 */
export function planesPart(e, c, L, t) {
  if (t >= c[L.threads]) return;
  const kernel = e[PLANES[c[L.plKernel]]], three = c[L.plPointers] === 3, count = c[L.plCount], block = c[L.plBlock];
  const p0 = c[L.plP0], p1 = c[L.plP1], p2 = c[L.plP2], s0 = c[L.plS0], s1 = c[L.plS1], s2 = c[L.plS2], a = L.plArgs;
  let done = 0;
  for (let b = Atomics.add(c, L.next, 1); b * block < count; b = Atomics.add(c, L.next, 1)) {
    const first = b * block, planes = Math.min(block, count - first);
    if (three) kernel(p0 + first * s0, p1 + first * s1, p2 + first * s2, planes, c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4], c[a + 5], c[a + 6], c[a + 7], c[a + 8], c[a + 9], c[a + 10], c[a + 11]);
    else kernel(p0 + first * s0, p1 + first * s1, planes, c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4], c[a + 5], c[a + 6], c[a + 7], c[a + 8], c[a + 9], c[a + 10], c[a + 11]);
    done++;
  }
  if (t > 0 && done > 0) Atomics.add(c, L.workerChunks, done);
}

/**
 * Thread t's part of a batched conv's column work (conv.ts batchedColumns; job 12): samples claimed one at a time. im2col
 * writes sample s's column matrix at columns s·P (and, with bcDY, copies its dY rows to D's columns s·P); col2im zeroes
 * sample s's dX, then adds its columns into it; the copy out copies the product's columns s·P to sample s's y. A
 * sample's work touches its own image and columns only: the bits of one thread for any count.
 *
 * @param {ConvKernelExports} e
 * @param {Int32Array} c
 * @param {CtrlLayout} L
 * @param {number} t
 * @returns {void}
 */
export function batchedColumnsPart(e, c, L, t) {
  if (t >= c[L.threads]) return;
  const cin = c[L.cin], h = c[L.h], w = c[L.w], cout = c[L.cout], ho = c[L.ho], wo = c[L.wo], kh = c[L.kh], kw = c[L.kw];
  const sh = c[L.sh], sw = c[L.sw], dh = c[L.dh], dw = c[L.dw], top = c[L.top], left = c[L.left];
  const P = ho * wo, inS = cin * h * w, m = c[L.bcCount], kind = c[L.bcKind];
  const image = c[L.bcImage], cols = c[L.bcCols], ldr = 4 * c[L.bcLdr], pDY = c[L.bcDY], pD = c[L.bcD];
  let done = 0;
  for (let s = Atomics.add(c, L.next, 1); s < m; s = Atomics.add(c, L.next, 1)) {
    const x = image + s * inS, col = 4 * (cols + s * P);
    if (kind === 2) e.copyRows(col, ldr, 4 * (image + s * cout * P), 4 * P, cout, P);
    else if (kind === 1) {
      c.fill(0, x, x + inS); // +0.0's bits
      e.col2im(col, 4 * x, ldr, cin, h, w, kh, kw, sh, sw, dh, dw, top, left, ho, wo);
    } else {
      e.im2col(4 * x, col, ldr, cin, h, w, kh, kw, sh, sw, dh, dw, top, left, ho, wo);
      if (pDY >= 0) e.copyRows(4 * (pDY + s * cout * P), 4 * P, 4 * (pD + s * P), ldr, cout, P);
    }
    done++;
  }
  if (t > 0 && done > 0) Atomics.add(c, L.workerChunks, done);
}

/**
 * Thread t's part of whatever job the block describes.
 *
 * @param {ConvKernelExports} e
 * @param {Int32Array} c
 * @param {CtrlLayout} L
 * @param {number} t
 * @returns {void}
 */
export function runPart(e, c, L, t) {
  const job = c[L.job];
  if (job === 1) convForwardPart(e, c, L, t);
  else if (job === 2) convBackwardPart(e, c, L, t);
  else if (job === 3) directForwardPart(/** @type {DirectKernels} */ (/** @type {unknown} */ (e)), c, L, t);
  else if (job === 4) directBackwardPart(/** @type {DirectKernels} */ (/** @type {unknown} */ (e)), c, L, t);
  else if (job === 5) winogradPart(/** @type {WinogradKernels} */ (/** @type {unknown} */ (e)), c, L, t);
  else if (job === 6) batchnormPart(/** @type {BatchnormKernels} */ (/** @type {unknown} */ (e)), c, L, t);
  else if (job === 7) elementwisePart(/** @type {Record<string, (...args: number[]) => void>} */ (/** @type {unknown} */ (e)), c, L, t);
  else if (job === 8) updatePart(/** @type {Record<string, (...args: number[]) => void>} */ (/** @type {unknown} */ (e)), c, L, t);
  else if (job === 9) planesPart(/** @type {Record<string, (...args: number[]) => void>} */ (/** @type {unknown} */ (e)), c, L, t);
  else if (job === 10) depthwiseForwardPart(/** @type {DepthwiseKernels} */ (/** @type {unknown} */ (e)), c, L, t);
  else if (job === 11) depthwiseBackwardPart(/** @type {DepthwiseKernels} */ (/** @type {unknown} */ (e)), c, L, t);
  else if (job === 12) batchedColumnsPart(e, c, L, t);
  else gemmPart(e, c, 0, L, t);
}

/**
 * The first message a worker receives.
 * @typedef {object} WorkerInit
 * @property {WebAssembly.Module} module
 * @property {WebAssembly.Memory} memory
 * @property {number} index 1 … workers (the caller is thread 0).
 * @property {CtrlLayout} layout
 * @property {number} spin Polls of `gen` before sleeping in Atomics.wait.
 * @property {WebAssembly.Module[]} [sides] Side modules (direct.ts's, winograd.ts's) instantiated on the same memory, their exports beside the kernel module's.
 */

/**
 * A worker's life: instantiate the kernels on the shared memory, say ready, then for each new
 * generation run its part and count itself done. It polls briefly before sleeping, because gemm
 * calls come ~0.1–1 ms apart in a training step and waking from Atomics.wait takes tens of µs.
 *
 * @param {WorkerInit} init
 * @returns {void}
 */
export function workerMain(init) {
  const L = init.layout;
  const exportsOf = (/** @type {WebAssembly.Module} */ m) => new WebAssembly.Instance(m, { env: { memory: init.memory } }).exports;
  const e = /** @type {ConvKernelExports} */ (/** @type {unknown} */ (Object.assign({}, ...(init.sides ?? []).map(exportsOf), exportsOf(init.module))));
  let c = new Int32Array(init.memory.buffer);
  let seen = Atomics.load(c, L.gen);
  Atomics.add(c, L.ready, 1);
  Atomics.notify(c, L.ready);
  let polls = init.spin;
  for (;;) {
    let g = Atomics.load(c, L.gen);
    for (let i = 0; g === seen && i < polls; i++) g = Atomics.load(c, L.gen);
    if (g === seen) {
      // Woken with no new job: the caller's early wake (pool.ts: wakeWorkers) while it copies the
      // operands in. Poll longer this once, so the job finds this thread awake.
      polls = Atomics.wait(c, L.gen, seen) === 'ok' ? 20 * init.spin : init.spin;
      continue;
    }
    polls = init.spin;
    seen = g;
    if (Atomics.load(c, L.stop) !== 0) return;
    // The memory may have grown since the last job: view all of it (a shared memory's old buffer keeps its old length).
    if (c.length !== init.memory.buffer.byteLength >> 2) c = new Int32Array(init.memory.buffer);
    try {
      runPart(e, c, L, init.index);
    } catch {
      Atomics.store(c, L.failed, 1);
    }
    if (Atomics.add(c, L.done, 1) + 1 === Atomics.load(c, L.workers)) Atomics.notify(c, L.done);
  }
}
