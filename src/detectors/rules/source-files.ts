import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RuleDiagnostic } from './diagnostics.js';
import type { RuleSource } from './compile.js';

export interface ReadSources {
  readonly sources: RuleSource[];
  /** Files (or directories) that could not be read. */
  readonly errors: RuleDiagnostic[];
}

const RULE_FILE = /\.ya?ml$/;

/** Reads rule files in the order given; a directory stands for its `*.yaml` files in name order. */
export async function readRuleSources(paths: readonly string[]): Promise<ReadSources> {
  const sources: RuleSource[] = [];
  const errors: RuleDiagnostic[] = [];
  for (const path of await expandPaths(paths, errors)) {
    try {
      sources.push({ file: path, text: await readFile(path, 'utf8') });
    } catch (error) {
      errors.push(unreadable(path, error));
    }
  }
  return { sources, errors };
}

async function expandPaths(paths: readonly string[], errors: RuleDiagnostic[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    try {
      const info = await stat(path);
      if (!info.isDirectory()) {
        out.push(path);
        continue;
      }
      const names = (await readdir(path)).filter((name) => RULE_FILE.test(name)).sort();
      for (const name of names) out.push(join(path, name));
    } catch (error) {
      errors.push(unreadable(path, error));
    }
  }
  return out;
}

function unreadable(file: string, error: unknown): RuleDiagnostic {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return {
    level: 'error',
    code: 'unreadable-file',
    message: `cannot read rule file (${reason})`,
    file,
    line: 1,
    column: 1,
    elementKind: '',
    ruleId: '',
  };
}
