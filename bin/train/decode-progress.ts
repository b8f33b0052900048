// Progress while a user's images are decoded before training (it can take a while for a big folder): on a
// terminal one line redrawn in place, elsewhere one line a split when it is done.
import type { ProgressSink } from './progress.js';

export function decodeProgress(out: ProgressSink): (split: string, done: number, total: number) => void {
  const started = new Map<string, number>();
  return (split, done, total) => {
    if (!started.has(split)) started.set(split, Date.now());
    const count = `${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`;
    if (out.isTTY) {
      const line = `decoding ${split} images: ${count}`.slice(0, Math.max(10, (out.columns ?? 80) - 1));
      out.write(done === total ? `\r${line}${' '.repeat(4)}\n` : `\r${line}`);
    } else if (done === total) {
      const cached = split.endsWith(' (from the cache)');
      const name = cached ? split.slice(0, -' (from the cache)'.length) : split;
      const secs = `${((Date.now() - started.get(split)!) / 1000).toFixed(1)} s`;
      out.write(cached ? `read ${total.toLocaleString('en-US')} decoded ${name} images from the cache\n` : `decoded ${total.toLocaleString('en-US')} ${name} images in ${secs}\n`);
    }
  };
}
