import { FileWatch } from './file-watch.js';
import type { FileWatchOptions } from './file-watch.js';

/**
 * At most one `FileWatch` for its owner (a rule set, a JWKS, a model folder): concurrent `start` calls
 * share one watch, and a `close` while a start is under way closes what that start opens, so no watch
 * outlives a stop.
 */
export class FileWatchSlot {
  private starting: Promise<FileWatch> | undefined;

  start(paths: readonly string[], onChange: () => void, options: FileWatchOptions = {}): Promise<void> {
    this.starting ??= FileWatch.start(paths, onChange, options);
    return this.starting.then(() => undefined);
  }

  async close(): Promise<void> {
    const starting = this.starting;
    this.starting = undefined;
    (await starting)?.close();
  }
}
