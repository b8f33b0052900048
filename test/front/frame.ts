// Reads a rendered frame back: the source text that the caret line underlines.

/** The text under the carets in `frame` (tabs expanded as the renderer expands them), or null. */
export function underlined(frame: string): string | null {
  const lines = frame.split('\n');
  const i = lines.findIndex((l) => l.startsWith('>'));
  const caretLine = lines[i + 1];
  if (i < 0 || caretLine === undefined) return null;
  const text = afterGutter(lines[i]!);
  const carets = afterGutter(caretLine);
  const from = carets.indexOf('^');
  const to = carets.lastIndexOf('^') + 1;
  if (from < 0 || !/^ *\^+$/.test(carets)) return null;
  return text.slice(from, to);
}

function afterGutter(line: string): string {
  const bar = line.indexOf(' | ');
  return bar < 0 ? '' : line.slice(bar + 3);
}
