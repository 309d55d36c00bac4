import { diag } from '@opentelemetry/api';
import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import type { Sampler, SamplingResult } from '@opentelemetry/sdk-trace-base';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { chainwatchSubjects } from '../config/nats-subjects.js';
import { subjectToken } from '../outputs/subject-token.js';
import type { EscalationSignal } from '../scoring/risk.js';
import { ESCALATED_ATTRIBUTE, SESSION_ATTRIBUTES } from './session-attributes.js';

export interface EscalationSamplerOptions {
  /** Decides for spans of sessions that are not escalated, e.g. `ParentBasedSampler({ root: TraceIdRatioBasedSampler(0.1) })`. */
  readonly base: Sampler;
  /** This producer's `service.name`: signals come on `<prefix>.sampling.<service>`. */
  readonly service: string;
  /** Subscribe at once; or call `listen` later. Owned by the caller. */
  readonly connection?: NatsConnection;
  /** Default `chainwatch`. */
  readonly subjectPrefix?: string;
  /** Escalated sessions remembered; the one expiring soonest goes first beyond it. Default 10,000. */
  readonly maxSessions?: number;
  /** Escalated trace ids remembered. Default 10,000. */
  readonly maxTraces?: number;
  /** Longest TTL honoured, whatever a signal asks. Default 1 day. */
  readonly maxTtlSeconds?: number;
  readonly clock?: () => number;
}

export interface EscalationSamplerStats {
  /** Signals applied. */
  readonly signals: number;
  /** Messages on the subject that were not signals. */
  readonly badSignals: number;
  /** Spans sampled because of an escalation that the base sampler alone would not have decided on. */
  readonly escalatedDecisions: number;
  readonly escalatedSessions: number;
  readonly escalatedTraces: number;
}

/** Expiry (epoch ms) by key, bounded; renewing moves a key to the back. */
class ExpiringSet {
  private readonly entries = new Map<string, number>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.entries.size;
  }

  add(key: string, expiresAtMs: number): void {
    const current = this.entries.get(key);
    this.entries.delete(key);
    this.entries.set(key, Math.max(current ?? 0, expiresAtMs));
    // Map order is insertion order: the first entry is the one renewed longest ago.
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  has(key: string, nowMs: number): boolean {
    const expiresAtMs = this.entries.get(key);
    if (expiresAtMs === undefined) return false;
    if (expiresAtMs > nowMs) return true;
    this.entries.delete(key);
    return false;
  }

  expiryOf(key: string): number | undefined {
    return this.entries.get(key);
  }
}

/**
 * An OpenTelemetry head sampler that listens to chainwatch: spans of a session chainwatch escalated are
 * all recorded and sampled until the signal's TTL ends (renewals extend it); everything else goes to the
 * base sampler. A span's session is read from its start attributes (any of `SESSION_ATTRIBUTES`)
 * or recognised by its trace id among the signal's. Spans of
 * traces already dropped cannot be recovered: escalation takes effect for spans started after the signal.
 */
export class EscalationSampler implements Sampler {
  readonly subject: string;
  private readonly base: Sampler;
  private readonly sessions: ExpiringSet;
  private readonly traces: ExpiringSet;
  private readonly clock: () => number;
  private readonly maxTtlMs: number;
  private readonly counts = { signals: 0, badSignals: 0, escalatedDecisions: 0 };
  private subscription: Subscription | undefined;
  private warnedBadSignal = false;

  constructor(options: EscalationSamplerOptions) {
    this.base = options.base;
    this.subject = `${chainwatchSubjects(options.subjectPrefix).sampling}.${subjectToken(options.service)}`;
    this.sessions = new ExpiringSet(positive('maxSessions', options.maxSessions ?? 10_000));
    this.traces = new ExpiringSet(positive('maxTraces', options.maxTraces ?? 10_000));
    this.maxTtlMs = positive('maxTtlSeconds', options.maxTtlSeconds ?? 86_400) * 1000;
    this.clock = options.clock ?? Date.now;
    if (options.connection !== undefined) this.listen(options.connection);
  }

  get stats(): EscalationSamplerStats {
    return { ...this.counts, escalatedSessions: this.sessions.size, escalatedTraces: this.traces.size };
  }

  /**
   * Subscribes to this service's escalation signals. The NATS client re-subscribes after a reconnect;
   * signals sent while disconnected are lost, but chainwatch renews a signal before its TTL ends.
   */
  listen(connection: NatsConnection): void {
    this.subscription?.unsubscribe();
    this.subscription = connection.subscribe(this.subject, {
      callback: (error, message) => {
        if (error !== null) {
          diag.warn(`EscalationSampler: subscription to ${this.subject} failed: ${error.message}`);
          return;
        }
        let parsed: unknown;
        try {
          parsed = message.json();
        } catch {
          parsed = undefined;
        }
        if (!this.apply(parsed)) this.badSignal();
      },
    });
  }

  /** Applies one escalation signal (from any transport); false when `signal` is not one. */
  apply(signal: unknown): boolean {
    if (!isSignal(signal)) return false;
    const expiresAtMs = this.clock() + Math.min(signal.ttlSeconds * 1000, this.maxTtlMs);
    this.sessions.add(signal.session, expiresAtMs);
    for (const traceId of signal.traceIds) this.traces.add(traceId, expiresAtMs);
    this.counts.signals++;
    return true;
  }

  /** Whether spans of `sessionId` are sampled at 100 % now. */
  isEscalated(sessionId: string): boolean {
    return this.sessions.has(sessionId, this.clock());
  }

  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const nowMs = this.clock();
    const session = escalatedSessionOf(attributes, (id) => this.sessions.has(id, nowMs));
    if (session !== undefined || this.traces.has(traceId, nowMs)) {
      // The rest of the trace follows, even spans that do not name the session.
      if (session !== undefined) this.traces.add(traceId, this.sessions.expiryOf(session)!);
      this.counts.escalatedDecisions++;
      return { decision: SamplingDecision.RECORD_AND_SAMPLED, attributes: { [ESCALATED_ATTRIBUTE]: true } };
    }
    return this.base.shouldSample(context, traceId, spanName, spanKind, attributes, links);
  }

  /** Stops listening; decisions keep honouring the signals received. */
  async close(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    if (subscription !== undefined && !subscription.isClosed()) subscription.unsubscribe();
  }

  toString(): string {
    return `EscalationSampler{base=${this.base.toString()}, subject=${this.subject}, escalatedSessions=${this.sessions.size}}`;
  }

  private badSignal(): void {
    this.counts.badSignals++;
    if (this.warnedBadSignal) return;
    this.warnedBadSignal = true;
    diag.warn(`EscalationSampler: ignored a message on ${this.subject} that is not an escalation signal (reported once)`);
  }
}

/** The escalated session any session attribute names: a signal names the conversation when there is one. */
function escalatedSessionOf(attributes: Attributes, escalated: (session: string) => boolean): string | undefined {
  for (const key of SESSION_ATTRIBUTES) {
    const value = attributes[key];
    if (typeof value === 'string' && value !== '' && escalated(value)) return value;
  }
  return undefined;
}

function isSignal(value: unknown): value is EscalationSignal {
  if (typeof value !== 'object' || value === null) return false;
  const signal = value as Partial<Record<keyof EscalationSignal, unknown>>;
  return (
    typeof signal.session === 'string' &&
    signal.session !== '' &&
    Array.isArray(signal.traceIds) &&
    signal.traceIds.every((id) => typeof id === 'string') &&
    typeof signal.ttlSeconds === 'number' &&
    signal.ttlSeconds > 0
  );
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`EscalationSampler: ${name} must be a positive number, got ${value}`);
  return value;
}
