// A closed pipe (`cnnc train … | head -1`) ends cnnc quietly: no EPIPE stack trace, exit 141 as a
// process killed by SIGPIPE (what `yes | head -1` reports). Every file cnnc writes is written
// atomically, so stopping mid-run loses at most the epoch in progress.
import { EXIT } from './exit.js';

export function quitOnBrokenPipe(stream: NodeJS.EventEmitter, quit: (code: number) => void = (code) => process.exit(code)): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') quit(EXIT.brokenPipe);
    else throw e;
  });
}
