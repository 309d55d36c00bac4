/** One thing wrong with a tool catalog file, and where. Lines and columns count from 1 (0 when unknown). */
export interface CatalogProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** A tool catalog that cannot be loaded: every problem found, not just the first. */
export class CatalogError extends Error {
  override readonly name = 'CatalogError';
  readonly problems: readonly CatalogProblem[];

  constructor(problems: readonly CatalogProblem[], options?: { cause?: unknown }) {
    super(formatProblems(problems), options);
    this.problems = problems;
  }
}

function formatProblems(problems: readonly CatalogProblem[]): string {
  const file = problems[0]?.file ?? 'tool catalog';
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const lines = problems.map((p) => `  ${p.file}:${p.line}:${p.column}: ${p.message}`);
  return [`tool catalog ${file} has ${count}:`, ...lines].join('\n');
}
