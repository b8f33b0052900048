// A strict JSON parser over UTF-8 bytes, for safetensors headers (RFC 8259, no extensions).
// Why not JSON.parse: it reports no byte offsets (the file's user needs one), silently keeps the
// last of duplicate keys, turns a `__proto__` key into a prototype when copied carelessly, and
// reorders integer-like keys. Here objects are Maps in file order, duplicates are errors, every
// value carries its absolute byte offset, and nesting is bounded (no stack overflow).

export type JsonValue =
  | { readonly kind: 'object'; readonly at: number; readonly entries: ReadonlyMap<string, JsonValue> }
  | { readonly kind: 'array'; readonly at: number; readonly items: readonly JsonValue[] }
  | { readonly kind: 'string'; readonly at: number; readonly value: string }
  /** `integer`: written as digits only (no sign, fraction or exponent), the form of a u64. */
  | { readonly kind: 'number'; readonly at: number; readonly value: number; readonly integer: boolean }
  | { readonly kind: 'boolean'; readonly at: number; readonly value: boolean }
  | { readonly kind: 'null'; readonly at: number };

/** A syntax error at absolute byte `offset`. */
export class JsonBytesError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'JsonBytesError';
  }
}

const MAX_DEPTH = 64;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses bytes[start, end) as one JSON value, with only whitespace around it. */
export function parseJsonBytes(bytes: Uint8Array, start: number, end: number): JsonValue {
  const p = new Parser(bytes, start, end);
  p.skipWhitespace();
  const value = p.value(0);
  p.skipWhitespace();
  if (p.pos < end) throw new JsonBytesError(`unexpected ${describe(bytes[p.pos]!)} after the JSON value`, p.pos);
  return value;
}

class Parser {
  pos: number;
  constructor(private readonly bytes: Uint8Array, start: number, private readonly end: number) {
    this.pos = start;
  }

  skipWhitespace(): void {
    const b = this.bytes;
    while (this.pos < this.end) {
      const c = b[this.pos]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.pos++;
    }
  }

  value(depth: number): JsonValue {
    if (this.pos >= this.end) throw new JsonBytesError('unexpected end of the header, expected a value', this.pos);
    const at = this.pos;
    const c = this.bytes[at]!;
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (depth >= MAX_DEPTH) throw new JsonBytesError(`nesting deeper than ${MAX_DEPTH}`, at);
      return c === 0x7b ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (c === 0x22 /* " */) return { kind: 'string', at, value: this.string() };
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.literal('true')) return { kind: 'boolean', at, value: true };
    if (this.literal('false')) return { kind: 'boolean', at, value: false };
    if (this.literal('null')) return { kind: 'null', at };
    throw new JsonBytesError(`unexpected ${describe(c)}, expected a value`, at);
  }

  private object(depth: number): JsonValue {
    const at = this.pos++;
    const entries = new Map<string, JsonValue>();
    this.skipWhitespace();
    if (this.peek() === 0x7d /* } */) {
      this.pos++;
      return { kind: 'object', at, entries };
    }
    for (;;) {
      this.skipWhitespace();
      const keyAt = this.pos;
      if (this.peek() !== 0x22) throw this.expected('a string key');
      const key = this.string();
      if (entries.has(key)) throw new JsonBytesError(`duplicate key ${JSON.stringify(key)}`, keyAt);
      this.skipWhitespace();
      if (this.peek() !== 0x3a /* : */) throw this.expected("':'");
      this.pos++;
      this.skipWhitespace();
      entries.set(key, this.value(depth));
      this.skipWhitespace();
      const c = this.peek();
      this.pos++;
      if (c === 0x7d) return { kind: 'object', at, entries };
      if (c !== 0x2c /* , */) {
        this.pos--;
        throw this.expected("',' or '}'");
      }
    }
  }

  private array(depth: number): JsonValue {
    const at = this.pos++;
    const items: JsonValue[] = [];
    this.skipWhitespace();
    if (this.peek() === 0x5d /* ] */) {
      this.pos++;
      return { kind: 'array', at, items };
    }
    for (;;) {
      this.skipWhitespace();
      items.push(this.value(depth));
      this.skipWhitespace();
      const c = this.peek();
      this.pos++;
      if (c === 0x5d) return { kind: 'array', at, items };
      if (c !== 0x2c) {
        this.pos--;
        throw this.expected("',' or ']'");
      }
    }
  }

  /** A string token at pos (which holds '"'); validates escapes, control characters and UTF-8. */
  private string(): string {
    const b = this.bytes;
    const open = this.pos++;
    let escaped = false;
    for (;;) {
      if (this.pos >= this.end) throw new JsonBytesError('unterminated string', open);
      const c = b[this.pos]!;
      if (c === 0x22) break;
      if (c < 0x20) throw new JsonBytesError(`unescaped control character 0x${c.toString(16).padStart(2, '0')} in a string`, this.pos);
      if (c === 0x5c /* \ */) {
        escaped = true;
        const e = this.pos + 1 < this.end ? b[this.pos + 1]! : -1;
        if (e === 0x75 /* u */) {
          for (let i = 2; i < 6; i++) {
            if (!(this.pos + i < this.end && isHex(b[this.pos + i]!))) throw new JsonBytesError('\\u escape needs four hex digits', this.pos);
          }
          this.pos += 6;
        } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          this.pos += 2;
        } else {
          throw new JsonBytesError('invalid escape sequence in a string', this.pos);
        }
      } else if (c < 0x80) {
        this.pos++;
      } else {
        this.pos += utf8SequenceLength(b, this.pos, this.end);
      }
    }
    const close = this.pos++;
    const text = utf8.decode(b.subarray(escaped ? open : open + 1, escaped ? close + 1 : close));
    // The token is valid JSON (checked above), so JSON.parse only resolves its escapes.
    return escaped ? (JSON.parse(text) as string) : text;
  }

  /** RFC 8259 number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
  private number(): JsonValue {
    const b = this.bytes;
    const at = this.pos;
    let integer = true;
    if (b[this.pos] === 0x2d) {
      integer = false;
      this.pos++;
    }
    if (this.peek() === 0x30) this.pos++;
    else if (!this.digits()) throw this.expected('a digit');
    if (this.peek() === 0x2e /* . */) {
      integer = false;
      this.pos++;
      if (!this.digits()) throw this.expected('a digit after the decimal point');
    }
    if (this.peek() === 0x65 || this.peek() === 0x45) {
      integer = false;
      this.pos++;
      if (this.peek() === 0x2b || this.peek() === 0x2d) this.pos++;
      if (!this.digits()) throw this.expected('a digit in the exponent');
    }
    // The token is ASCII; decode it without spreading bytes into arguments (a hostile header can
    // hold a number millions of digits long).
    return { kind: 'number', at, value: Number(utf8.decode(b.subarray(at, this.pos))), integer };
  }

  private digits(): boolean {
    const start = this.pos;
    while (this.pos < this.end && this.bytes[this.pos]! >= 0x30 && this.bytes[this.pos]! <= 0x39) this.pos++;
    return this.pos > start;
  }

  private literal(word: string): boolean {
    if (this.pos + word.length > this.end) return false;
    for (let i = 0; i < word.length; i++) if (this.bytes[this.pos + i] !== word.charCodeAt(i)) return false;
    this.pos += word.length;
    return true;
  }

  private peek(): number {
    return this.pos < this.end ? this.bytes[this.pos]! : -1;
  }

  private expected(what: string): JsonBytesError {
    const found = this.pos < this.end ? describe(this.bytes[this.pos]!) : 'end of the header';
    return new JsonBytesError(`expected ${what}, found ${found}`, this.pos);
  }
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Length of the well-formed UTF-8 sequence at i (Unicode Table 3-7), or throws at its first bad byte. */
function utf8SequenceLength(b: Uint8Array, i: number, end: number): number {
  const c = b[i]!;
  let n: number, lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c === 0xe0) lo = 0xa0; // no overlong forms
    if (c === 0xed) hi = 0x9f; // no UTF-16 surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c === 0xf0) lo = 0x90;
    if (c === 0xf4) hi = 0x8f; // nothing above U+10FFFF
  } else {
    throw new JsonBytesError(`invalid UTF-8 byte 0x${c.toString(16)}`, i);
  }
  for (let k = 1; k < n; k++) {
    const x = i + k < end ? b[i + k]! : -1;
    const min = k === 1 ? lo : 0x80, max = k === 1 ? hi : 0xbf;
    if (x < min || x > max) throw new JsonBytesError(`invalid UTF-8 sequence (byte 0x${c.toString(16)} then ${x < 0 ? 'end' : `0x${x.toString(16)}`})`, i + k);
  }
  return n;
}

function describe(c: number): string {
  return c >= 0x21 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}
