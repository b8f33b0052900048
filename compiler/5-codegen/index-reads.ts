// Every index read of the generated module is asserted in bounds: `x[i]!`, `dB[c]! += …`.
//
// Why: an app compiled with `noUncheckedIndexedAccess` types `x[i]` of a Float32Array as `number | undefined`,
// and the module would not type-check there. The reads are in bounds by construction (every shape, stride and
// offset is a literal the plan computed; the batch size sizes every buffer), so they are asserted, not
// checked: `!` is erased by TypeScript and costs nothing at run time, where a check in a kernel's inner loop
// would. One pass over the printed module rather than a `!` in each emitter's text, so that no kernel, today's
// or a new one, can forget it; test/codegen/typecheck.test.ts holds the result to the option.
import { ts } from 'ts-morph';

/** The module with `!` after each element access that is read: everything but the target of a plain `=`
 *  (a compound `+=` reads too) and an access already asserted. The text is otherwise byte for byte the same. */
export function assertIndexReads(code: string): string {
  const sf = ts.createSourceFile('model.ts', code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const ends: number[] = [];
  const visit = (node: ts.Node, parent: ts.Node): void => {
    if (ts.isElementAccessExpression(node) && node.questionDotToken === undefined && isRead(node, parent)) ends.push(node.end);
    ts.forEachChild(node, (child) => visit(child, node));
  };
  visit(sf, sf);
  // Cut at each read's end (nested reads, `dX[xo + argmax[q]]`, end at distinct positions) and joined once.
  // A space where `=` follows, so that `x[i]==y` cannot become `x[i]!==y`.
  const parts: string[] = [];
  let at = 0;
  for (const end of ends.sort((a, b) => a - b)) {
    parts.push(code.slice(at, end), code[end] === '=' ? '! ' : '!');
    at = end;
  }
  parts.push(code.slice(at));
  return parts.join('');
}

function isRead(node: ts.ElementAccessExpression, parent: ts.Node): boolean {
  if (ts.isNonNullExpression(parent)) return false;
  if (ts.isBinaryExpression(parent) && parent.left === node && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken) return false;
  return true;
}
