import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { chainwatchSubjects, type ChainwatchSubjects } from '../config/nats-subjects.js';
import type { Alert, EscalationSignal, ScoreUpdate } from '../scoring/risk.js';
import type { ScoreSink } from './score-sink.js';
import { subjectToken } from './subject-token.js';

export interface NatsScoreSinkOptions {
  /** Owned by the caller: the sink never closes it. */
  readonly connection: NatsConnection;
  readonly logger: Logger;
  /** Default `chainwatch`: subjects `chainwatch.scores`, `.alerts`, `.sampling.<service>`. */
  readonly prefix?: string;
}

export interface NatsScoreSinkCounters {
  readonly scores: number;
  readonly alerts: number;
  readonly escalations: number;
  /** Publishes the client refused (closed connection, unserialisable payload). */
  readonly failed: number;
  /** Not published: scores while the connection was down, alerts and signals beyond what is held for it. */
  readonly dropped: number;
  /** Alerts and escalation signals held while the connection is down, published when it is back. */
  readonly held: number;
}

/** Alerts and escalation signals held through a disconnect; beyond this the oldest are dropped and counted. */
const MAX_HELD = 10_000;

interface HeldResult {
  readonly subject: string;
  readonly payload: Alert | EscalationSignal;
  readonly kind: 'alerts' | 'escalations';
}

type PublishedKind = 'scores' | 'alerts' | 'escalations';

/**
 * Publishes results as JSON on core NATS. While the connection is down, scores are dropped and counted
 * rather than piled into the client's unbounded outbound buffer (a score is superseded by the next one,
 * and the risk store keeps the latest); alerts and escalation signals, which are sent once, are held
 * (bounded) and published when it is back, signals whose TTL ran out meanwhile left out.
 */
export class NatsScoreSink implements ScoreSink {
  readonly name = 'nats';
  readonly subjects: ChainwatchSubjects;
  readonly #connection: NatsConnection;
  readonly #logger: Logger;
  readonly #counts = { scores: 0, alerts: 0, escalations: 0, failed: 0, dropped: 0 };
  readonly #held: HeldResult[] = [];
  #connected: boolean;
  #failing = false;
  #closed = false;

  constructor(options: NatsScoreSinkOptions) {
    this.#connection = options.connection;
    this.subjects = chainwatchSubjects(options.prefix);
    this.#logger = options.logger.child({ sink: this.name });
    this.#connected = !this.#connection.isClosed();
    void this.#watchConnection();
  }

  get counters(): NatsScoreSinkCounters {
    return { ...this.#counts, held: this.#held.length };
  }

  publishScore(update: ScoreUpdate): void {
    this.#publish(this.subjects.scores, update, 'scores');
  }

  publishAlert(alert: Alert): void {
    this.#publishOrHold({ subject: this.subjects.alerts, payload: alert, kind: 'alerts' });
  }

  publishEscalation(signal: EscalationSignal): void {
    this.#publishOrHold({ subject: `${this.subjects.sampling}.${subjectToken(signal.service)}`, payload: signal, kind: 'escalations' });
  }

  #publishOrHold(result: HeldResult): void {
    if (this.#closed || this.#connected) {
      this.#publish(result.subject, result.payload, result.kind);
      return;
    }
    this.#held.push(result);
    if (this.#held.length > MAX_HELD) {
      this.#held.shift();
      this.#counts.dropped++;
    }
  }

  /** Publishes what was held through a disconnect, in order; signals already past their TTL are left out. */
  #publishHeld(): void {
    const nowMs = Date.now();
    for (const result of this.#held.splice(0)) {
      if (result.kind === 'escalations') {
        const signal = result.payload as EscalationSignal;
        if (Date.parse(signal.issuedAt) + signal.ttlSeconds * 1000 <= nowMs) {
          this.#counts.dropped++;
          continue;
        }
      }
      this.#publish(result.subject, result.payload, result.kind);
    }
  }

  /** Resolves once the server has everything published so far; a failure is logged, not thrown. */
  async flush(): Promise<void> {
    if (this.#connection.isClosed()) return;
    try {
      await this.#connection.flush();
    } catch (error) {
      this.#logger.warn({ err: error }, 'could not flush published results');
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #publish(subject: string, payload: ScoreUpdate | Alert | EscalationSignal, kind: PublishedKind): void {
    if (this.#closed || !this.#connected) {
      this.#counts.dropped++;
      return;
    }
    try {
      this.#connection.publish(subject, JSON.stringify(payload));
      this.#counts[kind]++;
      if (this.#failing) {
        this.#failing = false;
        this.#logger.info({ failed: this.#counts.failed }, 'publishing results again');
      }
    } catch (error) {
      this.#counts.failed++;
      if (!this.#failing) {
        this.#failing = true;
        this.#logger.warn({ err: error, subject }, 'could not publish results; counting failures until it recovers');
      }
    }
  }

  async #watchConnection(): Promise<void> {
    for await (const status of this.#connection.status()) {
      if (this.#closed) return;
      if (status.type === 'disconnect' || status.type === 'close') {
        this.#connected = false;
        this.#logger.warn({ dropped: this.#counts.dropped }, 'NATS connection lost: dropping scores and holding alerts and signals until it is back');
      } else if (status.type === 'reconnect') {
        this.#connected = true;
        this.#logger.info({ dropped: this.#counts.dropped, held: this.#held.length }, 'NATS connection back: publishing results');
        this.#publishHeld();
      }
    }
  }
}
