import { randomUUID } from 'node:crypto';
import { diag } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { jetstream } from '@nats-io/jetstream';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { chainwatchSubjects } from '../config/nats-subjects.js';

export interface NatsSpanExporterOptions {
  /** Owned by the caller: the exporter never closes it. */
  readonly connection: NatsConnection;
  /** Default `chainwatch`: spans go to `<prefix>.otlp.traces`. */
  readonly subjectPrefix?: string;
  /** Publish to JetStream and wait for the stream's ack (chainwatch in jetstream mode); else core NATS plus a flush. */
  readonly jetstream?: boolean;
  /** Tries per batch, the first included. Default 3. */
  readonly maxAttempts?: number;
  /** Wait before the second try, doubled for each further one. Default 100 ms. */
  readonly retryDelayMs?: number;
  /** Per try. Default 5 s. */
  readonly timeoutMs?: number;
}

export interface NatsSpanExporterStats {
  readonly exportedSpans: number;
  readonly failedSpans: number;
  readonly retries: number;
  /** Batches split because they exceeded the server's max payload. */
  readonly splits: number;
}

/**
 * An OpenTelemetry SpanExporter that publishes OTLP protobuf export requests to chainwatch over NATS
 * (`chainwatch.otlp.traces`). Each batch is tried a bounded number of times; a batch over the
 * server's max payload is split. Use it under a BatchSpanProcessor.
 */
export class NatsSpanExporter implements SpanExporter {
  readonly subject: string;
  private readonly connection: NatsConnection;
  private readonly js: JetStreamClient | undefined;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly pending = new Set<Promise<void>>();
  private readonly counts = { exportedSpans: 0, failedSpans: 0, retries: 0, splits: 0 };
  private stopped = false;

  constructor(options: NatsSpanExporterOptions) {
    this.connection = options.connection;
    this.subject = chainwatchSubjects(options.subjectPrefix).traces;
    this.js = options.jetstream === true ? jetstream(options.connection) : undefined;
    this.maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 3));
    this.retryDelayMs = Math.max(0, options.retryDelayMs ?? 100);
    this.timeoutMs = Math.max(1, options.timeoutMs ?? 5_000);
  }

  get stats(): NatsSpanExporterStats {
    return { ...this.counts };
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error('NatsSpanExporter is shut down') });
      return;
    }
    const done = this.send(spans).then(
      () => {
        this.counts.exportedSpans += spans.length;
        resultCallback({ code: ExportResultCode.SUCCESS });
      },
      (error: unknown) => {
        this.counts.failedSpans += spans.length;
        const failure = error instanceof Error ? error : new Error(String(error));
        diag.warn(`NatsSpanExporter: dropped ${spans.length} spans after ${this.maxAttempts} tries: ${failure.message}`);
        resultCallback({ code: ExportResultCode.FAILED, error: failure });
      },
    );
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  /** Resolves once every export started so far has finished (published or given up). */
  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.forceFlush();
  }

  private async send(spans: ReadableSpan[]): Promise<void> {
    const body = ProtobufTraceSerializer.serializeRequest(spans);
    if (body === undefined) throw new Error('the OTLP serializer produced nothing');
    const maxPayload = this.connection.info?.max_payload ?? Number.POSITIVE_INFINITY;
    if (body.length > maxPayload && spans.length > 1) {
      this.counts.splits++;
      const half = Math.ceil(spans.length / 2);
      await this.send(spans.slice(0, half));
      await this.send(spans.slice(half));
      return;
    }
    await this.publishWithRetry(body);
  }

  private async publishWithRetry(body: Uint8Array): Promise<void> {
    // One id for every try of a batch: JetStream drops a retried duplicate within its window.
    const msgID = randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.publish(body, msgID);
        return;
      } catch (error) {
        if (attempt >= this.maxAttempts || this.stopped) throw error;
        this.counts.retries++;
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  private async publish(body: Uint8Array, msgID: string): Promise<void> {
    if (this.js !== undefined) {
      await this.js.publish(this.subject, body, { msgID, timeout: this.timeoutMs });
      return;
    }
    this.connection.publish(this.subject, body);
    // A flush round trip: the server has the batch when it resolves.
    await withTimeout(this.connection.flush(), this.timeoutMs);
  }
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from the NATS server within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
