/** The NATS subjects chainwatch uses, all under one configurable prefix. */

export const DEFAULT_SUBJECT_PREFIX = 'chainwatch';

export interface ChainwatchSubjects {
  /** Where producers publish OTLP export requests. */
  readonly traces: string;
  readonly scores: string;
  readonly alerts: string;
  /** Escalation signals go to `<sampling>.<service-token>`. */
  readonly sampling: string;
}

export function chainwatchSubjects(prefix: string = DEFAULT_SUBJECT_PREFIX): ChainwatchSubjects {
  assertValidSubject(prefix, 'subject prefix');
  return {
    traces: `${prefix}.otlp.traces`,
    scores: `${prefix}.scores`,
    alerts: `${prefix}.alerts`,
    sampling: `${prefix}.sampling`,
  };
}

// Printable, no whitespace, no wildcards; tokens are separated by single dots.
const SUBJECT_TOKEN = /^[^\s.*>\p{C}]+$/u;

/**
 * Throws, naming `what`, unless `subject` is a literal NATS subject (no wildcards): a configuration
 * check made once at construction, never on the data path.
 */
export function assertValidSubject(subject: string, what: string): void {
  const tokens = subject.split('.');
  if (subject === '' || !tokens.every((token) => SUBJECT_TOKEN.test(token))) {
    throw new Error(
      `${what} ${JSON.stringify(subject)} is not a valid NATS subject: ` +
        'use dot-separated tokens without whitespace, control characters or the wildcards * and >',
    );
  }
}
