// Every diagnostic cnnc reports, written once, under a stable code.
// E01xx: YAML syntax and reader limits · E02xx: schema (unknown key, wrong type, missing, range)
// E03xx: names and graph · E04xx: shapes and sizes · E05xx: loss / output fit
// W06xx: lints (warnings).
// Owners: 1-parse and 2-validate add to the E01/E02 sections; 3-lower and 4-passes to E03–E05 and W06.

export const CODES = {
  // --- E01xx: YAML (1-parse) ---
  // --- E02xx: schema (2-validate) ---
  // --- E03xx: names and graph (3-lower) ---
  // --- E04xx: shapes and sizes (3-lower) ---
  // --- E05xx: loss fit (3-lower / 4-passes) ---
  // --- W06xx: lints (4-passes) ---
} as const satisfies Record<string, { readonly severity: 'error' | 'warning'; readonly title: string }>;

export type Code = keyof typeof CODES;
