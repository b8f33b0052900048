// A spec file's bytes to text, before phase 1 proper. UTF-8 strictly: a file that is not (Latin-1,
// UTF-16, a binary) is refused at its first bad byte, instead of each bad byte silently becoming
// U+FFFD and the spec meaning something its author never wrote. A byte order mark is kept, as
// readFileSync(path, 'utf8') keeps it: the YAML parser skips it.
import { diagnostic } from '../diagnostics/render.js';
import type { Diagnostic } from '../diagnostics/types.js';
import { YamlSourceMap } from './yaml-source-map.js';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();

export interface DecodeResult {
  /** The text; where the bytes are not UTF-8, with U+FFFD for each bad sequence (for the frame). */
  readonly source: string;
  /** One E0111 at the first bad byte, or none. */
  readonly diagnostics: Diagnostic[];
}

export function decodeSpec(bytes: Uint8Array, file: string): DecodeResult {
  try {
    return { source: strict.decode(bytes), diagnostics: [] };
  } catch {
    const source = lenient.decode(bytes);
    const at = firstBadByte(bytes, source);
    const map = new YamlSourceMap(file, source, null);
    const message = `the spec is not UTF-8: byte ${hex(bytes[at.byte]!)} at byte offset ${at.byte} does not begin a valid UTF-8 sequence`;
    const hint = 'save the file as UTF-8 (cnnc does not guess encodings: in Latin-1, é is the single byte 0xe9)';
    return { source, diagnostics: [diagnostic('E0111', message, map.span([at.char, at.char + 1]), source, hint)] };
  }
}

/** The first bad sequence: its byte offset in `bytes` and the offset of its U+FFFD in `text`
 *  (the lenient decoding). A U+FFFD that the file really holds (bytes ef bf bd) is skipped. */
function firstBadByte(bytes: Uint8Array, text: string): { byte: number; char: number } {
  let byte = 0;
  let from = 0;
  for (let char = text.indexOf('\uFFFD'); char >= 0; char = text.indexOf('\uFFFD', char + 1)) {
    // Everything before `char` decoded cleanly, so it re-encodes to exactly its own bytes.
    byte += encoder.encode(text.slice(from, char)).length;
    from = char;
    if (!(bytes[byte] === 0xef && bytes[byte + 1] === 0xbf && bytes[byte + 2] === 0xbd)) return { byte, char };
  }
  return { byte: bytes.length, char: text.length }; // not reached: the strict decoder threw
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}
