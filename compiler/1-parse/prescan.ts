// A cheap look at the raw text before the YAML parser sees it. The parser's own cost grows badly
// with nesting (500,000 `[` take it 20 s; 200,000 nested `- ` run it out of memory), so absurd
// nesting is refused here, in one linear pass, before any parsing.

/** Offset where nesting first exceeds `maxDepth`, or null. Conservative: counts brackets outside
 *  quotes and comments, and block levels by indentation plus compact `- ` items. */
export function firstTooDeep(source: string, maxDepth: number): number | null {
  let flow = 0;
  const indents: number[] = [];
  let i = 0;
  while (i < source.length) {
    // Start of a line: block depth from indentation, outside flow collections only.
    const lineEnd = nextNewline(source, i);
    if (flow === 0) {
      let j = i;
      while (source[j] === ' ') j++;
      const blank = j >= lineEnd || source[j] === '#' || source[j] === '\r';
      if (!blank) {
        while (indents.length > 0 && indents[indents.length - 1]! >= j - i) indents.pop();
        indents.push(j - i);
        // `- - - x`: each compact dash opens one more level on the same line.
        let depth = indents.length;
        while (source[j] === '-' && (source[j + 1] === ' ' || source[j + 1] === '\t')) {
          if (++depth > maxDepth) return j;
          j += 2;
          while (source[j] === ' ' || source[j] === '\t') j++;
        }
        if (depth > maxDepth) return j;
      }
    }
    i = scanFlow(source, i, lineEnd, (d, at) => {
      flow = d(flow);
      return flow + indents.length > maxDepth ? at : null;
    });
    if (i < 0) return -i - 1;
  }
  return null;
}

/** Walks one line counting brackets; returns the next line's start, or -(offset + 1) when too deep. */
function scanFlow(s: string, from: number, lineEnd: number, step: (d: (n: number) => number, at: number) => number | null): number {
  let quote: string | null = null;
  for (let k = from; k < lineEnd; k++) {
    const c = s[k]!;
    if (quote !== null) {
      if (c === '\\' && quote === '"') k++;
      else if (c === quote) quote = null;
      continue;
    }
    // A quote opens a string only where a scalar can start; `don't` is a plain word.
    if ((c === '"' || c === "'") && (k === from || /[\s[{,:]/.test(s[k - 1]!))) quote = c;
    else if (c === '#' && (k === from || s[k - 1] === ' ' || s[k - 1] === '\t')) break;
    else if (c === '[' || c === '{') {
      const bad = step((n) => n + 1, k);
      if (bad !== null) return -bad - 1;
    } else if (c === ']' || c === '}') step((n) => Math.max(0, n - 1), k);
  }
  return lineEnd + 1;
}

function nextNewline(s: string, from: number): number {
  const n = s.indexOf('\n', from);
  return n < 0 ? s.length : n;
}
