import { pino } from 'pino';
import type { Detector } from '../../src/detectors/detector.js';
import { EscalationPolicy } from '../../src/scoring/escalation-policy.js';
import { DEFAULT_LEVEL_THRESHOLDS, riskCombiner } from '../../src/scoring/risk-combiner.js';
import { ScoringStage } from '../../src/scoring/scoring-stage.js';
import type { ScoringStageOptions } from '../../src/scoring/scoring-stage.js';
import { LruSessionStore } from '../../src/session/session-store.js';
import { RecordingSink } from './recording-sink.js';

type StageOverrides = Partial<Omit<ScoringStageOptions, 'detectors' | 'sink' | 'store'>> & {
  readonly maxSessions?: number;
  /** Share a store with another stage. */
  readonly store?: LruSessionStore;
};

/**
 * A real scoring stage for tests, with small bounds and a recording sink: escalation at 0.6, release
 * below 0.4, a 100 s TTL renewed 20 s before it ends.
 */
export function testScoringStage(
  detectors: readonly Detector[],
  { maxSessions = 100, store = new LruSessionStore({ maxSessions, idleTtlMs: 0 }), ...options }: StageOverrides = {},
): { scoring: ScoringStage; sink: RecordingSink; store: LruSessionStore } {
  const sink = new RecordingSink();
  const scoring = new ScoringStage({
    store,
    detectors,
    sink,
    policy: new EscalationPolicy({ escalateAt: 0.6, releaseBelow: 0.4, ttlSeconds: 100, renewBeforeSeconds: 20 }),
    combine: riskCombiner(),
    levels: DEFAULT_LEVEL_THRESHOLDS,
    alertSeverity: 'high',
    limits: { maxCalls: 8, maxTraceIds: 4, maxFindings: 8 },
    maxTraceAliases: 100,
    clock: Date.now,
    logger: pino({ level: 'silent' }),
    rescoreBudgetMs: 0,
    ...options,
  });
  return { scoring, sink, store };
}
