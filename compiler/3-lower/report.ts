import type { Span } from '../ir/types.js';
import type { Code } from '../diagnostics/codes.js';

/** Adds one diagnostic at `span`; lowering goes on so that every problem is reported at once. */
export type Report = (code: Code, message: string, span: Span, hint?: string) => void;
