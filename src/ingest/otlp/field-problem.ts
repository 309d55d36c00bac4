/**
 * A field inside one span (or its resource or scope) that cannot be decoded. It is thrown to unwind
 * to the span, which is then rejected with `path: problem` as its reason, and never leaves this
 * folder. Not an Error on purpose: it needs no stack, and a flood of bad spans should stay cheap.
 */
export class FieldProblem {
  constructor(
    public path: string,
    readonly problem: string,
  ) {}
}

/** Adds an outer path segment to a FieldProblem unwinding through; returns what to rethrow. */
export function withinField(thrown: unknown, segment: string): unknown {
  if (thrown instanceof FieldProblem) thrown.path = joinPath(segment, thrown.path);
  return thrown;
}

/** The rejection reason for a caught FieldProblem under `prefix`; anything else is a bug: rethrown. */
export function reasonOf(thrown: unknown, prefix: string): string {
  if (!(thrown instanceof FieldProblem)) throw thrown;
  const path = joinPath(prefix, thrown.path);
  return path === '' ? thrown.problem : `${path}: ${thrown.problem}`;
}

function joinPath(outer: string, inner: string): string {
  if (outer === '') return inner;
  if (inner === '') return outer;
  return inner.startsWith('[') ? outer + inner : `${outer}.${inner}`;
}
