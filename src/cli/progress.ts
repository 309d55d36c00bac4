import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  tick(done: number): void;
  stop(): void;
}

/**
 * A progress bar on stderr when it is a terminal; nothing otherwise (CI logs stay clean). Without a
 * total it counts lines and redraws every 100; with one it shows the share done and redraws each step.
 */
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
  const every = total > 0 ? 1 : 100;
  let last = 0;
  return {
    tick(done: number) {
      if (done - last < every) return;
      last = done;
      bar.update(done);
    },
    stop() {
      bar.update(last);
      bar.stop();
    },
  };
}

/** One bar per named stage of a longer job: a new stage closes the previous bar. */
export function createStageProgress(enabled: boolean): { update(stage: string, done: number, total: number): void; stop(): void } {
  let current: { stage: string; bar: Progress } | undefined;
  return {
    update(stage, done, total) {
      if (current?.stage !== stage) {
        current?.bar.stop();
        current = { stage, bar: createProgress(enabled, stage, Math.max(1, total)) };
      }
      current.bar.tick(done);
    },
    stop() {
      current?.bar.stop();
      current = undefined;
    },
  };
}

/** One bar per file, labelled `<verb> <file>`, for `replayTraceFiles`'s callbacks. */
export function fileProgress(
  enabled: boolean,
  verb: string,
): { onFile: (file: string, phase: 'start' | 'end') => void; onLine: (line: number) => void } {
  let bar: Progress = { tick() {}, stop() {} };
  return {
    onFile(file, phase) {
      if (phase === 'start') bar = createProgress(enabled, `${verb} ${file}`);
      else bar.stop();
    },
    onLine: (line) => bar.tick(line),
  };
}
