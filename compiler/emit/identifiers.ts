// Defense in depth: the front end already validates names, but nothing from a spec reaches generated
// code except through these functions. Layer names must be plain identifiers and are only ever used
// with a suffix (`conv1_forward`, `conv1_y`), so a reserved word or `constructor` cannot collide;
// the class name is checked against reserved words, globals the module uses and its own top-level
// names, and suffixed with `Model` on a clash. Other text goes only into comments, neutralized.
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof new null return super switch this throw true try typeof var void while with yield let static ' +
    'implements interface package private protected public await async of get set declare type namespace module abstract ' +
    'any unknown never number string boolean symbol bigint object undefined arguments eval constructor prototype __proto__ ' +
    // globals the generated module reads
    'Math Infinity NaN Float32Array Float64Array Int32Array Uint8Array Array Object Number String Boolean Symbol Error ' +
    'RangeError TypeError JSON Promise globalThis Date Map Set'
  ).split(' '),
);

export function checkLayerName(name: string): string {
  if (!IDENT.test(name)) throw new Error(`cnnc internal error: layer name ${JSON.stringify(name)} is not an identifier`);
  return name;
}

/** The class name: the spec's name if it is a safe, free identifier; else the name + `Model` (repeated). */
export function className(name: string, taken: ReadonlySet<string>): string {
  if (!IDENT.test(name)) throw new Error(`cnnc internal error: model name ${JSON.stringify(name)} is not an identifier`);
  let out = name;
  while (RESERVED.has(out) || taken.has(out)) out += 'Model';
  return out;
}

/** Text for a `//` or `/* *\/` comment: no line terminators, no comment end. */
export function commentText(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]/g, ' ').replace(/\*\//g, '* /');
}

/** The spec file as the user named it, without directories (no absolute paths in the output). */
export function baseName(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts[parts.length - 1] ?? file;
}

/** A single-quoted string literal for any text (JSON escaping, then quotes swapped; U+2028 and U+2029, which JSON
 *  leaves raw, escaped too: a user's class name must not break a line of the module). */
export function str(text: string): string {
  const body = JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'").replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `'${body}'`;
}
