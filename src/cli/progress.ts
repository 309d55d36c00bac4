import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  tick(done: number): void;
  stop(): void;
}

/** A progress bar on stderr when it is a terminal; nothing otherwise (CI logs stay clean). */
export function createProgress(enabled: boolean, label: string, total = 0): Progress {
  if (!enabled || !process.stderr.isTTY) return { tick() {}, stop() {} };
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: total > 0 ? `${label} [{bar}] {percentage}% {value}/{total}` : `${label} {value} lines`,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  let last = 0;
  return {
    tick(done: number) {
      if (done - last < 100) return;
      last = done;
      bar.update(done);
    },
    stop() {
      bar.update(last);
      bar.stop();
    },
  };
}
