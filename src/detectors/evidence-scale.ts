import type { Severity } from './finding.js';

/**
 * Maps a detector's raw evidence (bits of surprise) to a finding score in 0..1. Training builds it from
 * held-out benign traffic, so a score s means "stronger than a fraction s of normal evidence".
 */
export type EvidenceScale = (raw: number) => number;

/**
 * The scale of one kind of evidence for a session judged with its prompt or without one. Live, the
 * prompt may come only with the agent's root span, which ends last; until then a call is judged
 * against all sessions instead of those of its prompt's cluster, which gives more surprise in normal
 * traffic, so it has a scale of its own (falling back to the prompt's when there is none).
 */
export function scaleFor<Id extends string>(
  id: Id,
  prompted: boolean,
  scales: Partial<Record<Id, EvidenceScale>> | undefined,
  scalesWithoutPrompt: Partial<Record<Id, EvidenceScale>> | undefined,
  fallback: () => EvidenceScale,
): EvidenceScale {
  return (prompted ? undefined : scalesWithoutPrompt?.[id]) ?? scales?.[id] ?? fallback();
}

/** Until a model is calibrated: 0 at no surprise, 0.5 at `halfAt` bits, approaching 1 beyond. */
export function provisionalScale(halfAt = 8): EvidenceScale {
  return (raw) => (raw <= 0 ? 0 : raw / (raw + halfAt));
}

/** Severity by how far into the benign tail a calibrated score is. */
export function severityForScore(score: number): Severity {
  if (score >= 0.999) return 'high';
  if (score >= 0.99) return 'medium';
  if (score >= 0.9) return 'low';
  return 'info';
}
