import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { chainwatchSubjects } from '../config/nats-subjects.js';
import { integerOption } from '../config/option-values.js';
import { describeFailure, isUndecodableBatchError } from './batch-failure.js';
import { readNatsBatch } from './nats-batch.js';
import type { BatchHandler, SpanSource } from './span-source.js';

export const DEFAULT_OTLP_STREAM = 'CHAINWATCH_OTLP';
export const DEFAULT_OTLP_CONSUMER = 'chainwatch-scorer';
const MAX_RETRY_DELAY_MS = 60_000;
/** Consumer notifications an operator should see; the rest are routine. */
const NOTABLE_NOTIFICATIONS: ReadonlySet<string> = new Set([
  'heartbeats_missed',
  'consumer_not_found',
  'stream_not_found',
  'consumer_deleted',
  'exceeded_limits',
  'no_responders',
]);

export interface JetStreamSpanSourceOptions {
  /** Owned by the caller: the source never closes it. */
  readonly connection: NatsConnection;
  readonly logger: Logger;
  /** Default `chainwatch`: the subject is then `chainwatch.otlp.traces`. */
  readonly prefix?: string;
  /** Overrides the subject derived from the prefix. */
  readonly subject?: string;
  /** Default `CHAINWATCH_OTLP`. */
  readonly stream?: string;
  /** Durable pull consumer shared by replicas. Default `chainwatch-scorer`. */
  readonly consumer?: string;
  /** Batches handled at once. Default 8. */
  readonly concurrency?: number;
  /** Default 30 s; a batch still being handled is kept alive with progress acks. */
  readonly ackWaitMs?: number;
  /** Unacknowledged batches the server lets out at once. Default 256. */
  readonly maxAckPending?: number;
  /** Deliveries before a failing batch is given up. Default 10. */
  readonly maxDeliver?: number;
  /** Delay before the first redelivery; it doubles per delivery up to 60 s. Default 1 s. */
  readonly retryDelayMs?: number;
  /** Stream limits, applied when the stream is created. Default 1 GiB and 24 h. */
  readonly maxStreamBytes?: number;
  readonly maxAgeMs?: number;
}

export interface JetStreamSourceCounters {
  readonly received: number;
  /** Handled and acknowledged. */
  readonly acked: number;
  /** Unusable headers or the handler rejected. */
  readonly failed: number;
  /** Negatively acknowledged for a later redelivery. */
  readonly retried: number;
  /** Given up: undecodable, or out of deliveries. */
  readonly termed: number;
  /** Times the consumer (or its stream) went away and was made again. */
  readonly resubscribed: number;
}

/** Notifications that mean this subscription will receive nothing more: the source subscribes again. */
const LOST_NOTIFICATIONS: ReadonlySet<string> = new Set(['consumer_deleted', 'consumer_not_found', 'stream_not_found']);
const MAX_RESUBSCRIBE_DELAY_MS = 30_000;

/**
 * OTLP batches from a JetStream stream through a durable pull consumer: at-least-once, acknowledged
 * only once the handler has applied the batch, so a crash means redelivery, not loss.
 */
export class JetStreamSpanSource implements SpanSource {
  readonly name = 'jetstream';
  readonly subject: string;
  readonly stream: string;
  readonly consumer: string;
  readonly #connection: NatsConnection;
  readonly #logger: Logger;
  readonly #concurrency: number;
  readonly #ackWaitMs: number;
  readonly #maxAckPending: number;
  readonly #maxDeliver: number;
  readonly #retryDelayMs: number;
  readonly #maxStreamBytes: number;
  readonly #maxAgeMs: number;
  readonly #counts = { received: 0, acked: 0, failed: 0, retried: 0, termed: 0, resubscribed: 0 };
  readonly #inFlight = new Set<Promise<void>>();
  #messages: ConsumerMessages | undefined;
  #consuming: Promise<void> | undefined;
  #handler: BatchHandler | undefined;
  #stopping = false;
  #resubscribing: Promise<void> | undefined;
  /** The highest stream sequence delivered: a consumer made again starts after it, not from the stream's start. */
  #lastSeq = 0;

  constructor(options: JetStreamSpanSourceOptions) {
    this.#connection = options.connection;
    this.subject = options.subject ?? chainwatchSubjects(options.prefix).traces;
    this.stream = options.stream ?? DEFAULT_OTLP_STREAM;
    this.consumer = options.consumer ?? DEFAULT_OTLP_CONSUMER;
    this.#concurrency = integerOption('concurrency', options.concurrency, 8);
    this.#ackWaitMs = integerOption('ackWaitMs', options.ackWaitMs, 30_000, 1_000);
    this.#maxAckPending = integerOption('maxAckPending', options.maxAckPending, 256);
    this.#maxDeliver = integerOption('maxDeliver', options.maxDeliver, 10);
    this.#retryDelayMs = integerOption('retryDelayMs', options.retryDelayMs, 1_000, 0);
    this.#maxStreamBytes = integerOption('maxStreamBytes', options.maxStreamBytes, 1024 ** 3);
    this.#maxAgeMs = integerOption('maxAgeMs', options.maxAgeMs, 24 * 3_600_000);
    this.#logger = options.logger.child({ source: this.name, stream: this.stream, consumer: this.consumer });
  }

  get counters(): JetStreamSourceCounters {
    return { ...this.#counts };
  }

  /** False while the consumer is lost and being made again: nothing is being received. */
  get healthy(): boolean {
    return this.#messages !== undefined && this.#resubscribing === undefined;
  }

  async start(handler: BatchHandler): Promise<void> {
    if (this.#handler !== undefined) throw new Error(`${this.name} span source already started`);
    this.#handler = handler;
    await this.#subscribe(handler);
    this.#logger.info({ subject: this.subject }, 'consuming OTLP batches from JetStream');
  }

  /** Stops pulling, handles what was already delivered, and waits for every batch in flight. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#resubscribing;
    const messages = this.#messages;
    if (messages === undefined) return;
    const closed = await messages.close();
    if (closed instanceof Error) this.#logger.warn({ err: closed }, 'JetStream consumer closed with an error');
    await this.#consuming;
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  async #subscribe(handler: BatchHandler): Promise<void> {
    const manager = await jetstreamManager(this.#connection);
    // A stream made anew numbers its messages from 1 again.
    if (await this.#ensureStream(manager)) this.#lastSeq = 0;
    await this.#ensureConsumer(manager, this.#lastSeq + 1);
    const consumer = await manager.jetstream().consumers.get(this.stream, this.consumer);
    const messages = await consumer.consume({ max_messages: this.#concurrency });
    this.#messages = messages;
    this.#consuming = this.#consume(messages, handler);
    void this.#watch(messages);
  }

  /**
   * The consumer or its stream was deleted (an operator, a retention change): that subscription gets
   * nothing more, so the stream and consumer are made again and consumption resumes, retried with backoff.
   */
  #resubscribe(lost: ConsumerMessages): void {
    if (this.#stopping || this.#resubscribing !== undefined || lost !== this.#messages) return;
    this.#resubscribing = (async () => {
      await lost.close();
      await this.#consuming;
      let delayMs = 500;
      while (!this.#stopping) {
        try {
          await this.#subscribe(this.#handler!);
          this.#counts.resubscribed++;
          this.#logger.warn({ subject: this.subject }, 'JetStream consumer made again: consuming OTLP batches');
          return;
        } catch (error) {
          this.#logger.error({ err: error, delayMs }, 'could not make the JetStream consumer again; retrying');
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          delayMs = Math.min(delayMs * 2, MAX_RESUBSCRIBE_DELAY_MS);
        }
      }
    })().finally(() => {
      this.#resubscribing = undefined;
    });
  }

  /** True when the stream had to be made. */
  async #ensureStream(manager: JetStreamManager): Promise<boolean> {
    const existing = await orUndefinedIfMissing(manager.streams.info(this.stream), JetStreamApiCodes.StreamNotFound);
    if (existing === undefined) {
      await manager.streams.add({
        name: this.stream,
        subjects: [this.subject],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        max_bytes: this.#maxStreamBytes,
        max_age: nanos(this.#maxAgeMs),
        num_replicas: 1,
      });
      this.#logger.info({ subject: this.subject }, 'created JetStream stream');
      return true;
    }
    // An operator's stream keeps its limits; it only needs to capture our subject.
    const subjects = existing.config.subjects ?? [];
    if (!subjects.includes(this.subject)) {
      await manager.streams.update(this.stream, { subjects: [...subjects, this.subject] });
      this.#logger.info({ subject: this.subject }, 'added the traces subject to the JetStream stream');
    }
    return false;
  }

  async #ensureConsumer(manager: JetStreamManager, startSeq: number): Promise<void> {
    const wanted = {
      ack_wait: nanos(this.#ackWaitMs),
      max_ack_pending: this.#maxAckPending,
      max_deliver: this.#maxDeliver,
    };
    const existing = await orUndefinedIfMissing(
      manager.consumers.info(this.stream, this.consumer),
      JetStreamApiCodes.ConsumerNotFound,
    );
    if (existing === undefined) {
      await manager.consumers.add(this.stream, {
        ...wanted,
        durable_name: this.consumer,
        ack_policy: AckPolicy.Explicit,
        ...(startSeq > 1 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq } : { deliver_policy: DeliverPolicy.All }),
        filter_subject: this.subject,
      });
      this.#logger.info('created JetStream consumer');
      return;
    }
    const filter = existing.config.filter_subject ?? '';
    if (filter !== '' && filter !== this.subject) {
      throw new Error(
        `JetStream consumer ${this.consumer} on stream ${this.stream} filters ${JSON.stringify(filter)}, ` +
          `not ${JSON.stringify(this.subject)}: delete it or configure a different consumer name`,
      );
    }
    if (differs(existing, wanted)) await manager.consumers.update(this.stream, this.consumer, wanted);
  }

  async #consume(messages: ConsumerMessages, handler: BatchHandler): Promise<void> {
    try {
      for await (const msg of messages) {
        while (this.#inFlight.size >= this.#concurrency) await Promise.race(this.#inFlight);
        const task: Promise<void> = this.#handle(msg, handler).finally(() => this.#inFlight.delete(task));
        this.#inFlight.add(task);
      }
    } catch (error) {
      this.#logger.error({ err: error }, 'JetStream consumption stopped');
    }
  }

  async #handle(msg: JsMsg, handler: BatchHandler): Promise<void> {
    this.#counts.received++;
    this.#lastSeq = Math.max(this.#lastSeq, msg.seq);
    const reading = readNatsBatch(msg, `jetstream:${msg.subject}#${msg.seq}`);
    if (!reading.ok) {
      this.#counts.failed++;
      this.#terminate(msg, reading.reason);
      return;
    }
    // Progress acks keep a slow batch from being redelivered while it is still being applied.
    const keepAlive = setInterval(() => this.#settle(msg, () => msg.working()), this.#ackWaitMs / 2);
    keepAlive.unref();
    try {
      await handler(reading.batch);
      clearInterval(keepAlive);
      if (this.#settle(msg, () => msg.ack())) this.#counts.acked++;
    } catch (error) {
      clearInterval(keepAlive);
      this.#counts.failed++;
      const deliveries = msg.info.deliveryCount;
      if (isUndecodableBatchError(error)) this.#terminate(msg, describeFailure(error), error);
      else if (deliveries >= this.#maxDeliver) {
        this.#terminate(msg, `gave up after ${deliveries} deliveries: ${describeFailure(error)}`, error);
      } else {
        const delayMs = Math.min(this.#retryDelayMs * 2 ** (deliveries - 1), MAX_RETRY_DELAY_MS);
        this.#logger.warn({ subject: msg.subject, seq: msg.seq, deliveries, delayMs, err: error }, 'OTLP batch failed; will retry');
        if (this.#settle(msg, () => msg.nak(delayMs))) this.#counts.retried++;
      }
    }
  }

  #terminate(msg: JsMsg, reason: string, error?: unknown): void {
    this.#logger.warn({ subject: msg.subject, seq: msg.seq, reason, err: error }, 'OTLP batch dropped for good');
    if (this.#settle(msg, () => msg.term())) this.#counts.termed++;
  }

  /** Acknowledgements are publishes and fail on a closed connection; the server then redelivers. */
  #settle(msg: JsMsg, acknowledge: () => void): boolean {
    try {
      acknowledge();
      return true;
    } catch (error) {
      this.#logger.warn({ seq: msg.seq, err: error }, 'could not acknowledge a JetStream message');
      return false;
    }
  }

  async #watch(messages: ConsumerMessages): Promise<void> {
    for await (const notification of messages.status()) {
      if (NOTABLE_NOTIFICATIONS.has(notification.type)) {
        this.#logger.warn({ notification }, `JetStream consumer: ${notification.type}`);
      }
      if (LOST_NOTIFICATIONS.has(notification.type)) this.#resubscribe(messages);
    }
  }
}

async function orUndefinedIfMissing<T extends StreamInfo | ConsumerInfo>(
  request: Promise<T>,
  missingCode: number,
): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === missingCode) return undefined;
    throw error;
  }
}

function differs(info: ConsumerInfo, wanted: { ack_wait: number; max_ack_pending: number; max_deliver: number }): boolean {
  return (
    info.config.ack_wait !== wanted.ack_wait ||
    info.config.max_ack_pending !== wanted.max_ack_pending ||
    info.config.max_deliver !== wanted.max_deliver
  );
}
