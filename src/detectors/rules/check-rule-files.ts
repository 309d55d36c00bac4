import { compileRuleSources } from './compile.js';
import type { RuleDiagnostic } from './diagnostics.js';
import { describeSummary, formatReport } from './report.js';
import { readRuleSources } from './source-files.js';

export interface RuleCheckResult {
  readonly ok: boolean;
  /** What `chainwatch rules check` prints: one line per diagnostic, then a verdict. */
  readonly report: string;
  readonly errors: readonly RuleDiagnostic[];
  readonly warnings: readonly RuleDiagnostic[];
}

/** Compiles rule files as the service would (same order, same overrides) without loading them anywhere. */
export async function checkRuleFiles(files: readonly string[]): Promise<RuleCheckResult> {
  const read = await readRuleSources(files);
  const result = compileRuleSources(read.sources);
  const errors = [...read.errors, ...result.errors];
  const ok = errors.length === 0 && result.ruleSet !== null;
  const verdict = ok ? `rules: ok: ${describeSummary(result.ruleSet!.summary)}` : 'rules: failed';
  return { ok, report: formatReport(errors, result.warnings, verdict), errors, warnings: result.warnings };
}
