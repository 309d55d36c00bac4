import type { ScoreSink } from '../../src/outputs/score-sink.js';
import type { Alert, EscalationSignal, ScoreUpdate } from '../../src/scoring/risk.js';

/** A sink that keeps everything published, for assertions. */
export class RecordingSink implements ScoreSink {
  readonly name = 'recording';
  readonly scores: ScoreUpdate[] = [];
  readonly alerts: Alert[] = [];
  readonly signals: EscalationSignal[] = [];
  publishScore(update: ScoreUpdate): void {
    this.scores.push(update);
  }
  publishAlert(alert: Alert): void {
    this.alerts.push(alert);
  }
  publishEscalation(signal: EscalationSignal): void {
    this.signals.push(signal);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
