import { createHash } from 'node:crypto';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { integerOption } from '../config/option-values.js';
import type { ScoreUpdate } from '../scoring/risk.js';
import type { RiskStore } from './risk-store.js';

export const DEFAULT_RISK_BUCKET = 'chainwatch-risk';
/** Longer base64url keys are hashed instead, keeping subjects well under the protocol's line limit. */
/** How long a close waits for pending writes. */
const CLOSE_DEADLINE_MS = 5_000;
const MAX_ENCODED_KEY_LENGTH = 256;

export interface KvRiskStoreOptions {
  /** Owned by the caller: the store never closes it. */
  readonly connection: NatsConnection;
  readonly logger: Logger;
  /** Default `chainwatch-risk`. */
  readonly bucket?: string;
  /** How long a session's risk is kept after its last update, when the bucket is created. Default 24 h. */
  readonly ttlMs?: number;
  /** Sessions waiting to be written; updates for further sessions are dropped. Default 10 000. */
  readonly maxPending?: number;
  /** KV writes in flight at once. Default 16. */
  readonly writeConcurrency?: number;
}

export interface KvRiskStoreCounters {
  readonly written: number;
  /** Updates superseded by a later one for the same session before being written. */
  readonly coalesced: number;
  /** Updates refused because the pending map was full or the store closed. */
  readonly dropped: number;
  readonly failed: number;
}

/**
 * The KV key for a session id: its base64url form (reversible, valid in a key), or `sha256.<hex>`
 * when that is empty or too long. The value keeps the id itself.
 */
export function riskStoreKey(session: string): string {
  const encoded = Buffer.from(session, 'utf8').toString('base64url');
  if (encoded !== '' && encoded.length <= MAX_ENCODED_KEY_LENGTH) return encoded;
  return `sha256.${createHash('sha256').update(session, 'utf8').digest('hex')}`;
}

/**
 * Session risk in a JetStream KV bucket (history 1, TTL). Puts only record the latest update per
 * session; a background writer drains them, so the hot path never waits on NATS.
 */
export class KvRiskStore implements RiskStore {
  readonly bucket: string;
  readonly #kv: KV;
  readonly #logger: Logger;
  readonly #maxPending: number;
  readonly #writeConcurrency: number;
  readonly #counts = { written: 0, coalesced: 0, dropped: 0, failed: 0 };
  /** Latest update per session not yet being written; Map order makes the oldest go first. */
  readonly #pending = new Map<string, ScoreUpdate>();
  /** Updates being written, so a lookup meanwhile still sees them. */
  readonly #writing = new Map<string, ScoreUpdate>();
  #draining: Promise<void> | undefined;
  #closed = false;
  #full = false;
  #failing = false;

  private constructor(kv: KV, bucket: string, options: KvRiskStoreOptions) {
    this.#kv = kv;
    this.bucket = bucket;
    this.#logger = options.logger.child({ store: 'kv', bucket });
    this.#maxPending = integerOption('maxPending', options.maxPending, 10_000);
    this.#writeConcurrency = integerOption('writeConcurrency', options.writeConcurrency, 16);
  }

  /** Opens the bucket, creating it when missing; an existing bucket keeps its settings. */
  static async open(options: KvRiskStoreOptions): Promise<KvRiskStore> {
    const bucket = options.bucket ?? DEFAULT_RISK_BUCKET;
    const ttlMs = integerOption('ttlMs', options.ttlMs, 24 * 3_600_000);
    const kv = await new Kvm(options.connection).create(bucket, { history: 1, ttl: ttlMs });
    const store = new KvRiskStore(kv, bucket, options);
    const status = await kv.status();
    if (status.ttl !== ttlMs) {
      store.#logger.warn({ configuredTtlMs: ttlMs, bucketTtlMs: status.ttl }, 'existing risk bucket keeps its own TTL');
    }
    return store;
  }

  get counters(): KvRiskStoreCounters {
    return { ...this.#counts };
  }

  put(update: ScoreUpdate): void {
    if (this.#closed) {
      this.#counts.dropped++;
      return;
    }
    if (this.#pending.has(update.session)) this.#counts.coalesced++;
    else if (this.#pending.size >= this.#maxPending) {
      this.#drop();
      return;
    }
    this.#pending.set(update.session, update);
    this.#draining ??= this.#drain();
  }

  async get(session: string): Promise<ScoreUpdate | undefined> {
    const unwritten = this.#pending.get(session) ?? this.#writing.get(session);
    if (unwritten !== undefined) return unwritten;
    const entry = await this.#kv.get(riskStoreKey(session));
    if (entry === null || entry.operation !== 'PUT') return undefined;
    let stored: unknown;
    try {
      stored = entry.json();
    } catch (error) {
      this.#logger.warn({ err: error, key: entry.key }, 'unreadable risk entry');
      return undefined;
    }
    return isUpdateFor(stored, session) ? stored : undefined;
  }

  /**
   * Resolves once every update put so far has been written (or has failed), or after `deadlineMs`;
   * true when everything was written.
   */
  async flush(deadlineMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const drained = (async () => {
      while (this.#draining !== undefined) await this.#draining;
      return true;
    })();
    if (deadlineMs === Number.POSITIVE_INFINITY) return drained;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    try {
      return await Promise.race([drained, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Writes what is pending, for at most `deadlineMs`: with NATS unreachable each put waits out its
   * timeout, and a full queue would hold a shutdown for an hour. What is left then is dropped and counted.
   */
  async close(deadlineMs = CLOSE_DEADLINE_MS): Promise<void> {
    this.#closed = true;
    if (await this.flush(deadlineMs)) return;
    const left = this.#pending.size + this.#writing.size;
    this.#counts.dropped += this.#pending.size;
    this.#pending.clear();
    this.#logger.warn({ left, deadlineMs }, 'risk store closed with writes still pending: dropped');
  }

  async #drain(): Promise<void> {
    try {
      // Let a burst of puts land first, so they coalesce.
      await new Promise((resolve) => setImmediate(resolve));
      while (this.#pending.size > 0) {
        const round: ScoreUpdate[] = [];
        for (const [session, update] of this.#pending) {
          if (round.length === this.#writeConcurrency) break;
          round.push(update);
          this.#pending.delete(session);
          this.#writing.set(session, update);
        }
        await Promise.all(round.map((update) => this.#write(update)));
      }
    } finally {
      this.#draining = undefined;
      if (this.#full) {
        this.#full = false;
        this.#logger.info({ dropped: this.#counts.dropped }, 'risk store caught up');
      }
    }
  }

  async #write(update: ScoreUpdate): Promise<void> {
    try {
      await this.#kv.put(riskStoreKey(update.session), JSON.stringify(update));
      this.#counts.written++;
      this.#failing = false;
    } catch (error) {
      this.#counts.failed++;
      if (!this.#failing) {
        this.#failing = true;
        this.#logger.warn({ err: error }, 'could not write session risk; counting failures until it recovers');
      }
    } finally {
      if (this.#writing.get(update.session) === update) this.#writing.delete(update.session);
    }
  }

  #drop(): void {
    this.#counts.dropped++;
    if (!this.#full) {
      this.#full = true;
      this.#logger.warn({ maxPending: this.#maxPending }, 'risk store behind: dropping updates for new sessions');
    }
  }
}

function isUpdateFor(value: unknown, session: string): value is ScoreUpdate {
  return typeof value === 'object' && value !== null && (value as { session?: unknown }).session === session;
}
