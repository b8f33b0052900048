// The one image record of cnnc's data pipeline: what a decoder gives (runtime/data/decode/), what every
// transform takes and returns (runtime/data/transforms/), and what becomes a model's input tensor.
// Browser-safe: plain typed arrays, no Node API.

/** An 8-bit image as PIL holds mode 'L' (channels 1) or 'RGB' (channels 3): rows top to bottom, each row
 *  left to right, the channels of a pixel interleaved (HWC), `data.length === width * height * channels`. */
export interface Image8 {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

/** The colour mode a model's input asks for: `input.shape[0]` 1 → 'L', 3 → 'RGB'. */
export type ColorMode = 'L' | 'RGB';

export function channelsOf(mode: ColorMode): 1 | 3 {
  return mode === 'L' ? 1 : 3;
}

/** A bad image file: what is wrong, the file's name as the user gave it, and the byte offset where known.
 *  The message is one line that names the file; the CLI prints it and exits 1. */
export class ImageError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly offset?: number,
  ) {
    super(`${file}${offset === undefined ? '' : ` (byte ${offset})`}: ${reason}`);
    this.name = 'ImageError';
  }
}
