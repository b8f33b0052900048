// The errors that are a user's mistake (a missing file, corrupt data, a foreign checkpoint):
// printed as one line naming the file, exit 1, never a stack trace. Anything else is a cnnc bug.
import { IdxError } from '../../runtime/data/idx.js';
import { ImageError } from '../../runtime/data/image.js';
import { DataFileError } from '../../runtime/node/data/read-maybe-gzip.js';
import { TrainError } from '../train/run.js';
import { SafetensorsError } from '../../runtime/safetensors.js';
import { CheckpointError } from '../../runtime/train/checkpoint.js';
import { FileError, isFsError, why } from '../fs-errors.js';
import type { Io } from './compile-model.js';
import { UsageError } from './compile-model.js';

const USER_ERRORS = [IdxError, ImageError, DataFileError, TrainError, CheckpointError, SafetensorsError, UsageError, FileError];

/** Runs a command body; a user's mistake becomes `error: ...` on stderr and exit code 1. */
export async function reportUserErrors(io: Io, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (USER_ERRORS.some((E) => e instanceof E)) {
      io.stderr.write(`error: ${(e as Error).message}\n`);
      return 1;
    }
    // A file-system fault that no call site named: still the user's to fix (a full disk, a folder's mode).
    if (isFsError(e)) {
      io.stderr.write(`error: cannot ${e.syscall} ${e.path ?? '(no path)'}: ${why(e)}\n`);
      return 1;
    }
    throw e;
  }
}
