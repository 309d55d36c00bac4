import { LRUCache } from 'lru-cache';
import type { Session } from './session.js';

export interface SessionStoreOptions {
  /** Live sessions kept; the least recently active is evicted beyond it. */
  readonly maxSessions: number;
  /** A session idle this long is evicted (ms); 0 keeps sessions until pushed out by `maxSessions`. */
  readonly idleTtlMs: number;
}

export type EvictionReason = 'capacity' | 'idle' | 'closed';

/** Bounded keyed storage for sessions. Evictions are reported, never silent. */
export interface SessionStore {
  get(id: string): Session | undefined;
  /** Looks a session up without refreshing its recency (for API reads). */
  peek(id: string): Session | undefined;
  set(session: Session): void;
  /** Removes a session without reporting it as evicted (it was merged into another). */
  delete(id: string): void;
  readonly size: number;
  values(): IterableIterator<Session>;
  /** Evicts sessions idle past the TTL; returns how many. */
  purgeIdle(): number;
  /** Evicts everything (as `closed`). */
  clear(): void;
  onEvict(listener: (session: Session, reason: EvictionReason) => void): void;
  readonly evictions: Readonly<Record<EvictionReason, number>>;
}

/** The in-process store: an LRU with idle TTL. */
export class LruSessionStore implements SessionStore {
  private readonly cache: LRUCache<string, Session>;
  private readonly listeners: Array<(session: Session, reason: EvictionReason) => void> = [];
  private readonly counts: Record<EvictionReason, number> = { capacity: 0, idle: 0, closed: 0 };
  private clearing = false;

  constructor(options: SessionStoreOptions) {
    this.cache = new LRUCache<string, Session>({
      max: options.maxSessions,
      ...(options.idleTtlMs > 0 ? { ttl: options.idleTtlMs, updateAgeOnGet: true, ttlAutopurge: false } : {}),
      dispose: (session, _key, reason) => {
        if (reason === 'set' || reason === 'delete') {
          if (!this.clearing) return;
        }
        const why: EvictionReason = this.clearing ? 'closed' : reason === 'expire' ? 'idle' : 'capacity';
        this.counts[why]++;
        for (const listener of this.listeners) listener(session, why);
      },
    });
  }

  get(id: string): Session | undefined {
    return this.cache.get(id);
  }

  peek(id: string): Session | undefined {
    return this.cache.peek(id);
  }

  set(session: Session): void {
    this.cache.set(session.id, session);
  }

  delete(id: string): void {
    this.cache.delete(id);
  }

  get size(): number {
    return this.cache.size;
  }

  values(): IterableIterator<Session> {
    return this.cache.values();
  }

  purgeIdle(): number {
    const before = this.counts.idle;
    this.cache.purgeStale();
    return this.counts.idle - before;
  }

  clear(): void {
    this.clearing = true;
    try {
      this.cache.clear();
    } finally {
      this.clearing = false;
    }
  }

  onEvict(listener: (session: Session, reason: EvictionReason) => void): void {
    this.listeners.push(listener);
  }

  get evictions(): Readonly<Record<EvictionReason, number>> {
    return this.counts;
  }
}
