// Some samples of an IDX file, read chunk by chunk as the bytes go by (a gunzip stream's output, or
// the whole file as one chunk): the evenly spaced samples that `--limit n` asks for are copied out,
// every other byte is only counted. So 0.5 MB of gzipped IDX that inflates to 637,000 images costs
// n images of memory, not the 500 MB of bytes and 2 GB of floats it did when the whole file was
// inflated, converted and then subset. The file is still checked to its end: the header, then
// exactly as many bytes as it announces (the refusals of parseIdx, at the same offsets).
// Browser-safe: bytes in, bytes out.
import { checkIdxLength, idxHeaderLength, parseIdxHeader, type IdxHeader } from './idx-header.js';

/** The i-th of n evenly spaced indices in [0, total): ⌊i · total / n⌋ (class-balanced for data
 *  sorted by class). The one formula for every subset, so a subset read from a file is the subset
 *  taken of the whole. */
export function spacedIndex(i: number, total: number, n: number): number {
  return Math.floor((i * total) / n);
}

export interface IdxSamples {
  readonly header: IdxHeader;
  /** How many samples the file holds (its first dimension). */
  readonly total: number;
  /** How many were kept: min(limit, total), at spacedIndex(i, total, count). */
  readonly count: number;
  /** Their bytes, one sample after another (a sample: every dimension but the first). */
  readonly bytes: Uint8Array;
}

export class IdxSampleReader {
  private length = 0;
  private head = new Uint8Array(0);
  private header: IdxHeader | null = null;
  private total = 0;
  private count = 0;
  private sampleBytes = 0;
  private out = new Uint8Array(0);
  /** The next sample to keep (an index into the kept ones). */
  private next = 0;

  /** `limit`: keep that many evenly spaced samples (default: all of them). */
  constructor(private readonly file: string, private readonly limit?: number) {}

  push(chunk: Uint8Array): void {
    const at = this.length;
    this.length += chunk.length;
    let data = chunk;
    let from = at;
    if (this.header === null) {
      const used = this.readHeader(chunk);
      if (this.header === null) return;
      data = chunk.subarray(used);
      from = at + used;
    }
    this.copySamples(data, from);
  }

  /** After the last chunk: the kept samples, or the refusal of a truncated or overlong file. */
  end(): IdxSamples {
    const header = this.header ?? parseIdxHeader(this.head, this.file); // throws: the file ended inside its header
    checkIdxLength(header, this.length, this.file);
    return { header, total: this.total, count: this.count, bytes: this.out };
  }

  /** Buffers the header's bytes; parses it once complete. Returns how many bytes of `chunk` it used. */
  private readHeader(chunk: Uint8Array): number {
    let used = 0;
    for (;;) {
      const known = idxHeaderLength(this.head);
      const need = known === 0 ? 4 : known;
      if (this.head.length >= 4 && (this.head[0] !== 0 || this.head[1] !== 0 || this.head[3] === 0 || this.head[3]! > 8)) {
        parseIdxHeader(this.head, this.file); // throws: bad magic, type or rank
      }
      if (this.head.length >= need && known !== 0) break;
      const take = Math.min(need - this.head.length, chunk.length - used);
      if (take === 0) return used;
      const head = new Uint8Array(this.head.length + take);
      head.set(this.head);
      head.set(chunk.subarray(used, used + take), this.head.length);
      this.head = head;
      used += take;
    }
    const h = parseIdxHeader(this.head, this.file);
    this.header = h;
    this.total = h.dims[0]!;
    this.count = this.limit === undefined ? this.total : Math.min(this.limit, this.total);
    this.sampleBytes = (h.expectedLength - h.dataOffset) / this.total;
    this.out = new Uint8Array(this.count * this.sampleBytes);
    return used;
  }

  /** Copies the parts of kept samples that `data` (file bytes from offset `from`) holds. */
  private copySamples(data: Uint8Array, from: number): void {
    const h = this.header!;
    const to = from + data.length;
    while (this.next < this.count) {
      const start = h.dataOffset + spacedIndex(this.next, this.total, this.count) * this.sampleBytes;
      const end = start + this.sampleBytes;
      if (start >= to) return;
      const lo = Math.max(from, start);
      const hi = Math.min(to, end);
      if (hi > lo) this.out.set(data.subarray(lo - from, hi - from), this.next * this.sampleBytes + (lo - start));
      if (end > to) return;
      this.next++;
    }
  }
}

/** The kept samples of a whole file in memory. */
export function readIdxSamples(bytes: Uint8Array, file: string, limit?: number): IdxSamples {
  const reader = new IdxSampleReader(file, limit);
  reader.push(bytes);
  return reader.end();
}
