import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics read from the components' own counters at scrape time, so the hot path only
 * increments plain numbers.
 */
export class ServiceMetrics {
  readonly registry = new Registry();

  constructor(options: { defaultMetrics: boolean }) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'chainwatch_' });
  }

  /** A monotonically growing count, exposed as a Prometheus counter. */
  counter(name: string, help: string, read: () => number): void {
    let reported = 0;
    new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        const value = read();
        if (value > reported) this.inc(value - reported);
        reported = Math.max(reported, value);
      },
    });
  }

  /** A count by label, each read at scrape time. */
  labelledCounter(name: string, help: string, label: string, read: () => object): void {
    const reported = new Map<string, number>();
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        for (const [key, value] of Object.entries(read())) {
          if (typeof value !== 'number') continue;
          const before = reported.get(key) ?? 0;
          if (value > before) this.inc({ [label]: key }, value - before);
          reported.set(key, Math.max(before, value));
        }
      },
    });
  }

  gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }
}
