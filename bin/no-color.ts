// NO_COLOR (https://no-color.org): set and not empty, cnnc writes no ANSI escape sequence at all —
// no colour in diagnostics, and a progress bar that erases its line with spaces instead of ESC [K.
export function noColor(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env['NO_COLOR'];
  return v !== undefined && v !== '';
}
