import type { Severity } from './finding.js';

/**
 * Maps a detector's raw evidence (bits of surprise) to a finding score in 0..1. Training builds it from
 * held-out benign traffic, so a score s means "stronger than a fraction s of normal evidence".
 */
export type EvidenceScale = (raw: number) => number;

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
