import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** Forwards to another exporter and counts what it was given, by trace: how the demo sees what was sampled. */
export class CountingExporter implements SpanExporter {
  readonly spansByTrace = new Map<string, number>();

  constructor(private readonly next: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    for (const span of spans) {
      const traceId = span.spanContext().traceId;
      this.spansByTrace.set(traceId, (this.spansByTrace.get(traceId) ?? 0) + 1);
    }
    this.next.export(spans, resultCallback);
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}
