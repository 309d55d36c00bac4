export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** One piece of evidence a detector produced, as data. */
export interface Finding {
  /** The detector that produced it (`rules`, `markov`, `clusters`, `identity`, ...). */
  readonly detector: string;
  /** Stable id within the detector: a rule id, a finding kind. */
  readonly id: string;
  readonly severity: Severity;
  /** Contribution to the session risk, 0..1. */
  readonly score: number;
  /** A sentence a SOC analyst can read. */
  readonly message: string;
  /** 0-based position of the call, in the session's start-time order, that completed the evidence; -1 for session-level evidence. */
  readonly callIndex: number;
  /** Span ids of the calls involved. */
  readonly spanIds: readonly string[];
  /**
   * Evidence that also rests on other sessions' calls (a rule joined by user or trace). A replay of this
   * session cannot reproduce it (those calls were counted once), so it is kept across replays.
   */
  readonly crossSession?: boolean;
}
