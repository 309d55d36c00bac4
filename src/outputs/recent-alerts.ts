import type { Alert } from '../scoring/risk.js';
import type { AlertLog, AlertQuery } from './alert-log.js';
import type { ScoreSink } from './score-sink.js';

/** Keeps the latest alerts in a ring buffer for the API. */
export class RecentAlerts implements ScoreSink, AlertLog {
  readonly name = 'recent-alerts';
  private readonly ring: Array<{ alert: Alert; atMs: number } | undefined>;
  private next = 0;

  constructor(capacity: number) {
    this.ring = new Array(capacity);
  }

  publishScore(): void {}

  publishEscalation(): void {}

  publishAlert(alert: Alert): void {
    this.ring[this.next] = { alert, atMs: Date.parse(alert.createdAt) };
    this.next = (this.next + 1) % this.ring.length;
  }

  list(query: AlertQuery): Alert[] {
    const found: Alert[] = [];
    for (let i = 1; i <= this.ring.length && found.length < query.limit; i++) {
      const entry = this.ring[(this.next - i + this.ring.length) % this.ring.length];
      if (entry === undefined) break;
      if (entry.atMs >= query.sinceMs) found.push(entry.alert);
    }
    return found;
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}
}
