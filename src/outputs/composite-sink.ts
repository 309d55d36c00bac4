import type { Logger } from 'pino';
import type { Alert, EscalationSignal, ScoreUpdate } from '../scoring/risk.js';
import type { ScoreSink } from './score-sink.js';

/** Forwards to many sinks; one member's failure is logged once and never reaches the others. */
export class CompositeScoreSink implements ScoreSink {
  readonly name = 'composite';
  private readonly failed = new Set<string>();

  constructor(
    private readonly sinks: readonly ScoreSink[],
    private readonly logger: Logger,
  ) {}

  publishScore(update: ScoreUpdate): void {
    for (const sink of this.sinks) this.guard(sink, () => sink.publishScore(update));
  }

  publishAlert(alert: Alert): void {
    for (const sink of this.sinks) this.guard(sink, () => sink.publishAlert(alert));
  }

  publishEscalation(signal: EscalationSignal): void {
    for (const sink of this.sinks) this.guard(sink, () => sink.publishEscalation(signal));
  }

  async flush(): Promise<void> {
    await Promise.all(this.sinks.map((sink) => sink.flush().catch((error: unknown) => this.report(sink, error))));
  }

  async close(): Promise<void> {
    await Promise.all(this.sinks.map((sink) => sink.close().catch((error: unknown) => this.report(sink, error))));
  }

  private guard(sink: ScoreSink, publish: () => void): void {
    try {
      publish();
    } catch (error) {
      this.report(sink, error);
    }
  }

  private report(sink: ScoreSink, error: unknown): void {
    if (this.failed.has(sink.name)) return;
    this.failed.add(sink.name);
    this.logger.error({ err: error, sink: sink.name }, 'score sink failed (logged once per sink)');
  }
}
