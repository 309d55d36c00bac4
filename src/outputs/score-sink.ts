import type { Alert, EscalationSignal, ScoreUpdate } from '../scoring/risk.js';

/**
 * Where scoring results go. Publishing is fire-and-forget on the hot path: a sink buffers (bounded),
 * counts what it drops, and never throws. `flush` waits for what is buffered.
 */
export interface ScoreSink {
  readonly name: string;
  publishScore(update: ScoreUpdate): void;
  publishAlert(alert: Alert): void;
  publishEscalation(signal: EscalationSignal): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}
