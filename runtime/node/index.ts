// cnnc/runtime/node: the Node-only parts of the runtime (files, threads, data sets). Loading a generated
// module from its TypeScript (loadModule) transpiles it, so it is the compiler's: `cnnc`.
// Data sets (IDX directories, the embedded mnist10k digits).
export { loadIdxDirectory, findIdxFile, IDX_FILES, type Splits } from './data/idx-files.js';
export { loadMnist10k, mnist10kSplit } from './data/mnist10k.js';
export { readMaybeGzip, DataFileError } from './data/read-maybe-gzip.js';
export { writeFileAtomic } from './atomic.js';
export { initThreads, spawnNodeWorker, withThreads } from './threads.js';
