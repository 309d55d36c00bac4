import { FileWatchSlot } from '../../config/file-watch-slot.js';
import { compileRuleSources } from './compile.js';
import type { RuleSource } from './compile.js';
import type { RuleDiagnostic } from './diagnostics.js';
import { describeSummary, formatReport } from './report.js';
import { CompiledRuleSet } from './rule-set.js';
import type { RuleSetSummary } from './rule-set.js';
import { readRuleSources } from './source-files.js';

/** What a load or reload did: whether the new files were applied, and every diagnostic. */
export interface ReloadOutcome {
  /** True when the files compiled without errors and the new set is now in use. */
  readonly ok: boolean;
  /** Version of the set in use after this attempt (unchanged when it failed). */
  readonly version: number;
  /** Summary of the set in use after this attempt. */
  readonly summary: RuleSetSummary;
  readonly errors: readonly RuleDiagnostic[];
  readonly warnings: readonly RuleDiagnostic[];
  /** Human-readable report: one line per diagnostic and a verdict. */
  readonly report: string;
  /** ISO-8601 */
  readonly at: string;
  /** What started it: `load`, `reload`, `watch`, `api`, ... */
  readonly trigger: string;
}

export interface RuleSetManagerOptions {
  /** Quiet time after a file change before reloading, so an editor's several writes make one reload. */
  readonly watchDebounceMs?: number;
}

export type ReloadListener = (outcome: ReloadOutcome) => void;

/**
 * Owns the running compiled rule set. Loads are serialized; a load with any error leaves the running set
 * in place and says why. `watch()` reloads on file changes (watching the files' directories, so editors
 * that replace files are seen).
 */
export class RuleSetManager {
  private set = CompiledRuleSet.empty();
  private paths: readonly string[] = [];
  private last: ReloadOutcome | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly fileWatch = new FileWatchSlot();
  private readonly listeners = new Set<ReloadListener>();
  private readonly debounceMs: number;

  constructor(options: RuleSetManagerOptions = {}) {
    this.debounceMs = Math.max(0, options.watchDebounceMs ?? 150);
  }

  /** The compiled set in use: the detector reads this on every call. */
  get current(): CompiledRuleSet {
    return this.set;
  }

  /** The outcome of the latest load or reload, undefined before the first. */
  get lastOutcome(): ReloadOutcome | undefined {
    return this.last;
  }

  get files(): readonly string[] {
    return this.paths;
  }

  /** Sets the rule files (in override order; directories stand for their *.yaml) and loads them. */
  load(files: readonly string[]): Promise<ReloadOutcome> {
    this.paths = [...files];
    return this.reload('load');
  }

  /** Reads and compiles the files again; applies the result only if it has no errors. */
  reload(trigger = 'reload'): Promise<ReloadOutcome> {
    const next = this.chain.then(async () => {
      const read = await readRuleSources(this.paths);
      return this.apply(read.sources, read.errors, trigger);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Compiles rule text directly (tests, benchmarks, embedded rules): the same checks as files. */
  loadSources(sources: readonly RuleSource[], trigger = 'sources'): ReloadOutcome {
    return this.apply(sources, [], trigger);
  }

  onReload(listener: ReloadListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reloads when a rule file (or a *.yaml in a watched directory) changes. Idempotent. */
  watch(): Promise<void> {
    return this.fileWatch.start(this.paths, () => void this.reload('watch'), {
      debounceMs: this.debounceMs,
      inDirectory: (name) => /\.ya?ml$/.test(name),
    });
  }

  /** Stops watching and waits for a reload in progress. */
  async close(): Promise<void> {
    await this.fileWatch.close();
    await this.chain;
  }

  private apply(sources: readonly RuleSource[], readErrors: readonly RuleDiagnostic[], trigger: string): ReloadOutcome {
    const result = compileRuleSources(sources);
    const errors = [...readErrors, ...result.errors];
    const ok = errors.length === 0 && result.ruleSet !== null;
    if (ok) this.set = result.ruleSet!;
    const verdict = ok
      ? `rules: loaded version ${this.set.version}: ${describeSummary(this.set.summary)}`
      : this.last === undefined
        ? 'rules: not loaded'
        : `rules: not loaded; keeping version ${this.set.version}`;
    const outcome: ReloadOutcome = {
      ok,
      version: this.set.version,
      summary: this.set.summary,
      errors,
      warnings: result.warnings,
      report: formatReport(errors, result.warnings, verdict),
      at: new Date().toISOString(),
      trigger,
    };
    this.last = outcome;
    for (const listener of this.listeners) {
      try {
        listener(outcome);
      } catch {
        // A listener's failure must not undo or hide the reload.
      }
    }
    return outcome;
  }
}
