// Diagnostics are data. Every phase returns them; only a bug in cnnc throws.
import type { Span } from '../ir/types.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** Stable code from the table in codes.ts, e.g. `E0201`. */
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
  readonly endLine: number;
  readonly endCol: number;
  /** ±2 lines of source with a caret line under the span, ready to print. */
  readonly frame: string;
  readonly hint?: string;
}

export type { Span };
