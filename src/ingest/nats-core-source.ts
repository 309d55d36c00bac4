import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { chainwatchSubjects } from '../config/nats-subjects.js';
import { integerOption } from '../config/option-values.js';
import { describeFailure } from './batch-failure.js';
import { readNatsBatch } from './nats-batch.js';
import type { BatchHandler, IngestOutcome, SpanSource } from './span-source.js';

export interface NatsCoreSpanSourceOptions {
  /** Owned by the caller: the source never closes it. */
  readonly connection: NatsConnection;
  readonly logger: Logger;
  /** Default `chainwatch`: the subject is then `chainwatch.otlp.traces`. */
  readonly prefix?: string;
  /** Overrides the subject derived from the prefix; wildcards allowed. */
  readonly subject?: string;
  /** Queue group shared by replicas so each batch reaches one of them. Default `chainwatch`. */
  readonly queue?: string;
  /** Batches handled at once. Default 8. */
  readonly concurrency?: number;
  /** Batches waiting for a free slot; beyond that new batches are dropped. Default 1024. */
  readonly maxQueued?: number;
}

export interface NatsCoreSourceCounters {
  readonly received: number;
  /** The handler resolved. */
  readonly completed: number;
  /** Unusable headers or the handler rejected. */
  readonly failed: number;
  /** Arrived while every slot and the queue were taken. */
  readonly dropped: number;
}

/** The JSON answered on a message's reply subject, when it has one. */
export type NatsIngestReply = ({ readonly ok: true } & IngestOutcome) | { readonly ok: false; readonly error: string };

/**
 * OTLP batches published on core NATS (at-most-once). A requester learns the outcome from the reply;
 * a plain publisher does not, and a batch lost to overload or a crash is gone.
 */
export class NatsCoreSpanSource implements SpanSource {
  readonly name = 'nats';
  readonly subject: string;
  readonly #connection: NatsConnection;
  readonly #logger: Logger;
  readonly #queue: string;
  readonly #concurrency: number;
  readonly #maxQueued: number;
  readonly #counts = { received: 0, completed: 0, failed: 0, dropped: 0 };
  readonly #inFlight = new Set<Promise<void>>();
  readonly #waiting: Msg[] = [];
  #subscription: Subscription | undefined;
  #handler: BatchHandler | undefined;
  #overloaded = false;

  constructor(options: NatsCoreSpanSourceOptions) {
    this.#connection = options.connection;
    this.subject = options.subject ?? chainwatchSubjects(options.prefix).traces;
    this.#queue = options.queue ?? 'chainwatch';
    this.#concurrency = integerOption('concurrency', options.concurrency, 8);
    this.#maxQueued = integerOption('maxQueued', options.maxQueued, 1024, 0);
    this.#logger = options.logger.child({ source: this.name, subscription: this.subject });
  }

  get counters(): NatsCoreSourceCounters {
    return { ...this.#counts };
  }

  async start(handler: BatchHandler): Promise<void> {
    if (this.#handler !== undefined) throw new Error(`${this.name} span source already started`);
    this.#handler = handler;
    this.#subscription = this.#connection.subscribe(this.subject, {
      queue: this.#queue,
      callback: (error, msg) => {
        if (error !== null) this.#logger.error({ err: error }, 'NATS subscription failed');
        else this.#accept(msg);
      },
    });
    // The subscription is live on the server once start resolves.
    await this.#connection.flush();
    this.#logger.info({ queue: this.#queue }, 'consuming OTLP batches from NATS');
  }

  async stop(): Promise<void> {
    const subscription = this.#subscription;
    this.#subscription = undefined;
    if (subscription !== undefined && !subscription.isClosed()) {
      try {
        await subscription.drain();
      } catch (error) {
        this.#logger.warn({ err: error }, 'could not drain the NATS subscription');
      }
    }
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  #accept(msg: Msg): void {
    this.#counts.received++;
    if (this.#inFlight.size < this.#concurrency) this.#run(msg);
    else if (this.#waiting.length < this.#maxQueued) this.#waiting.push(msg);
    else this.#drop(msg);
  }

  #run(msg: Msg): void {
    const task: Promise<void> = this.#handle(msg).finally(() => {
      this.#inFlight.delete(task);
      const next = this.#waiting.shift();
      if (next !== undefined) this.#run(next);
      else if (this.#overloaded) {
        this.#overloaded = false;
        this.#logger.info({ dropped: this.#counts.dropped }, 'NATS span source caught up');
      }
    });
    this.#inFlight.add(task);
  }

  async #handle(msg: Msg): Promise<void> {
    const reading = readNatsBatch(msg, `nats:${msg.subject}`);
    if (!reading.ok) {
      this.#fail(msg, reading.reason);
      return;
    }
    try {
      // The handler is set before the subscription exists.
      const outcome = await (this.#handler as BatchHandler)(reading.batch);
      this.#counts.completed++;
      this.#reply(msg, {
        ok: true,
        acceptedSpans: outcome.acceptedSpans,
        rejectedSpans: outcome.rejectedSpans,
        errorMessage: outcome.errorMessage,
      });
    } catch (error) {
      this.#fail(msg, describeFailure(error), error);
    }
  }

  #fail(msg: Msg, reason: string, error?: unknown): void {
    this.#counts.failed++;
    this.#logger.warn({ subject: msg.subject, err: error, reason }, 'OTLP batch from NATS not ingested');
    this.#reply(msg, { ok: false, error: reason });
  }

  #drop(msg: Msg): void {
    this.#counts.dropped++;
    if (!this.#overloaded) {
      this.#overloaded = true;
      this.#logger.warn(
        { concurrency: this.#concurrency, maxQueued: this.#maxQueued },
        'NATS span source overloaded: dropping batches until it catches up',
      );
    }
    this.#reply(msg, { ok: false, error: 'overloaded: batch dropped, retry later' });
  }

  #reply(msg: Msg, body: NatsIngestReply): void {
    if (msg.reply === undefined || msg.reply === '') return;
    try {
      msg.respond(JSON.stringify(body));
    } catch (error) {
      this.#logger.debug({ err: error }, 'could not reply to a NATS request');
    }
  }
}
