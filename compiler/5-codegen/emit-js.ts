// `--emit js`: the generated TypeScript as an ES module in JavaScript plus its .d.ts, for apps that do
// not compile TypeScript. Transpiling is per file (no type information needed); the declarations come
// from TypeScript's declaration emit on an in-memory project, where `cnnc/runtime` need not resolve:
// types written in the source (`rt.CompiledModel<Float32Array>`) are kept as written.
import { Project, ts } from 'ts-morph';

export function transpileToJs(code: string): string {
  return ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, removeComments: false },
    reportDiagnostics: false,
  }).outputText;
}

export function emitJs(code: string): { js: string; dts: string } {
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: { declaration: true, emitDeclarationOnly: true, module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, strict: true, skipLibCheck: true, noLib: true },
  });
  project.createSourceFile('/model.ts', code);
  const out = project.emitToMemory({ emitOnlyDtsFiles: true });
  const dts = out.getFiles().find((f) => f.filePath.endsWith('.d.ts'));
  if (dts === undefined) throw new Error('cnnc internal error: no declarations emitted');
  return { js: transpileToJs(code), dts: dts.text };
}
