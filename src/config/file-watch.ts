import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';

export interface FileWatchOptions {
  /** Quiet time after a change before `onChange` runs, so an editor's several writes make one call. */
  readonly debounceMs?: number;
  /** For a watched directory: which file names count. Default: every name. */
  readonly inDirectory?: (name: string) => boolean;
}

/**
 * Calls `onChange` (debounced) when one of `paths` changes. Files are watched through their directory,
 * so an editor that replaces a file (write to a temporary name, rename over) is seen; a directory in
 * `paths` stands for the files in it that `inDirectory` accepts. Paths that do not exist are skipped.
 */
export class FileWatch {
  private readonly watchers: FSWatcher[] = [];
  private debounce: NodeJS.Timeout | undefined;

  private constructor(
    private readonly onChange: () => void,
    private readonly debounceMs: number,
  ) {}

  static async start(paths: readonly string[], onChange: () => void, options: FileWatchOptions = {}): Promise<FileWatch> {
    const fileWatch = new FileWatch(onChange, Math.max(0, options.debounceMs ?? 150));
    const inDirectory = options.inDirectory ?? (() => true);
    for (const [directory, names] of await watchTargets(paths)) {
      try {
        const watcher = watch(directory, { persistent: false }, (_event, filename) => {
          const name = filename === null ? '' : String(filename);
          // Some platforms report no name: treat it as a change to anything watched there.
          if (name === '' || (names === null ? inDirectory(name) : names.has(name))) fileWatch.schedule();
        });
        watcher.on('error', () => undefined);
        fileWatch.watchers.push(watcher);
      } catch {
        // A directory that does not exist cannot be watched; an explicit reload still works.
      }
    }
    return fileWatch;
  }

  close(): void {
    for (const watcher of this.watchers) watcher.close();
    this.watchers.length = 0;
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    this.debounce = undefined;
  }

  private schedule(): void {
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.onChange();
    }, this.debounceMs);
    this.debounce.unref();
  }
}

/** Directory -> the file names watched in it, or null for a directory watched whole. */
async function watchTargets(paths: readonly string[]): Promise<Map<string, Set<string> | null>> {
  const targets = new Map<string, Set<string> | null>();
  for (const path of paths) {
    const absolute = resolve(path);
    const isDirectory = await stat(absolute).then(
      (stats) => stats.isDirectory(),
      () => false,
    );
    if (isDirectory) {
      targets.set(absolute, null);
      continue;
    }
    const directory = dirname(absolute);
    const names = targets.get(directory);
    if (names === null) continue;
    if (names === undefined) targets.set(directory, new Set([basename(absolute)]));
    else names.add(basename(absolute));
  }
  return targets;
}
