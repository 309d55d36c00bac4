/** Where something is in a rule file: 1-based line and column. */
export interface SourceLoc {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export type DiagnosticLevel = 'error' | 'warning';
export type ElementKind = 'rule' | 'list' | 'macro';

/** One problem found while loading rule files, with where it is and which element it belongs to. */
export interface RuleDiagnostic {
  readonly level: DiagnosticLevel;
  /** Stable kebab-case code, e.g. `unknown-field`, `bad-regex`, `unknown-macro`. */
  readonly code: string;
  readonly message: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Kind of the element the problem is in, '' when outside any (file-level problems). */
  readonly elementKind: ElementKind | '';
  /** Id of the rule, list or macro the problem is in, '' when outside any. */
  readonly ruleId: string;
}

/** The element a diagnostic is attributed to. */
export interface ElementRef {
  readonly kind: ElementKind | '';
  readonly id: string;
}

export const NO_ELEMENT: ElementRef = { kind: '', id: '' };

/** Collects diagnostics from every stage so all of them are reported at once. */
export class DiagnosticBag {
  readonly items: RuleDiagnostic[] = [];

  error(code: string, loc: SourceLoc, element: ElementRef, message: string): void {
    this.add('error', code, loc, element, message);
  }

  warning(code: string, loc: SourceLoc, element: ElementRef, message: string): void {
    this.add('warning', code, loc, element, message);
  }

  get errorCount(): number {
    let count = 0;
    for (const item of this.items) if (item.level === 'error') count++;
    return count;
  }

  private add(level: DiagnosticLevel, code: string, loc: SourceLoc, element: ElementRef, message: string): void {
    this.items.push({
      level,
      code,
      message,
      file: loc.file,
      line: loc.line,
      column: loc.column,
      elementKind: element.kind,
      ruleId: element.id,
    });
  }
}

/** `rules/x.yaml:12:7: error [unknown-field] rule "x": unknown field "sevrity"; did you mean "severity"?` */
export function formatDiagnostic(d: RuleDiagnostic): string {
  const where = d.ruleId === '' ? '' : `${d.elementKind} "${d.ruleId}": `;
  return `${d.file}:${d.line}:${d.column}: ${d.level} [${d.code}] ${where}${d.message}`;
}

/** Diagnostics in file, line, column order (stable for equal positions). */
export function sortDiagnostics(items: readonly RuleDiagnostic[]): RuleDiagnostic[] {
  return items
    .map((d, i) => ({ d, i }))
    .sort((a, b) =>
      a.d.file !== b.d.file
        ? a.d.file < b.d.file ? -1 : 1
        : a.d.line - b.d.line || a.d.column - b.d.column || a.i - b.i,
    )
    .map((x) => x.d);
}

/** A rule set that failed to load: carries every diagnostic. */
export class RuleLoadError extends Error {
  override readonly name = 'RuleLoadError';
  constructor(
    readonly diagnostics: readonly RuleDiagnostic[],
    readonly report: string,
  ) {
    super(`rule files have errors:\n${report}`);
  }
}

/** The closest candidate within a small edit distance, for "did you mean" hints. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  candidates = [...candidates];
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined || word.length < 3) return best;
  // A shortened name (`pii` for `pii_access`): suggest the only candidate that starts with it.
  const prefixed = [...candidates].filter((candidate) => candidate.startsWith(word));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

export function didYouMean(word: string, candidates: Iterable<string>): string {
  const hint = closest(word, candidates);
  return hint === undefined ? '' : `; did you mean "${hint}"?`;
}

function editDistance(a: string, b: string): number {
  const previous = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length]!;
}
