import { LRUCache } from 'lru-cache';
import type { Session } from './session.js';

export interface SessionStoreOptions {
  /** Live sessions kept; the least recently active is evicted beyond it. */
  readonly maxSessions: number;
  /** A session idle this long is evicted (ms); 0 keeps sessions until pushed out by `maxSessions`. */
  readonly idleTtlMs: number;
  /**
   * Heap bytes the sessions may hold together (`Session.approximateBytes`); the least recently active are
   * evicted beyond it. 0: no budget (offline replays, which must keep every session to its end).
   */
  readonly maxBytes?: number;
}

export type EvictionReason = 'capacity' | 'memory' | 'idle' | 'closed';

/** Bounded keyed storage for sessions. Evictions are reported, never silent. */
export interface SessionStore {
  get(id: string): Session | undefined;
  /** Looks a session up without refreshing its recency (for API reads). */
  peek(id: string): Session | undefined;
  set(session: Session): void;
  /** Counts a session's size again after it changed (calls came or left); may evict others to stay in budget. */
  resize(session: Session): void;
  /** Approximate heap bytes of the sessions held. */
  readonly bytes: number;
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

/** The in-process store: an LRU with idle TTL and a memory budget. */
export class LruSessionStore implements SessionStore {
  private readonly cache: LRUCache<string, Session>;
  private readonly listeners: Array<(session: Session, reason: EvictionReason) => void> = [];
  private readonly counts: Record<EvictionReason, number> = { capacity: 0, memory: 0, idle: 0, closed: 0 };
  /** The memory budget in bytes; 0: none. */
  readonly maxBytes: number;
  private heldBytes = 0;
  private clearing = false;
  private trimming = false;

  constructor(options: SessionStoreOptions) {
    this.maxBytes = options.maxBytes ?? 0;
    this.cache = new LRUCache<string, Session>({
      max: options.maxSessions,
      ...(options.idleTtlMs > 0 ? { ttl: options.idleTtlMs, updateAgeOnGet: true, ttlAutopurge: false } : {}),
      dispose: (session, _key, reason) => {
        this.heldBytes -= session.accountedBytes;
        session.accountedBytes = 0;
        if (reason === 'set' || reason === 'delete') {
          if (!this.clearing) return;
        }
        const why: EvictionReason = this.clearing ? 'closed' : this.trimming ? 'memory' : reason === 'expire' ? 'idle' : 'capacity';
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
    this.resize(session);
  }

  resize(session: Session): void {
    if (this.cache.peek(session.id) !== session) return;
    const bytes = session.approximateBytes;
    this.heldBytes += bytes - session.accountedBytes;
    session.accountedBytes = bytes;
    if (this.maxBytes <= 0 || this.heldBytes <= this.maxBytes) return;
    // The least recently active go first; the session that grew is the most recent and always stays.
    this.trimming = true;
    try {
      while (this.heldBytes > this.maxBytes && this.cache.size > 1) this.cache.pop();
    } finally {
      this.trimming = false;
    }
  }

  get bytes(): number {
    return this.heldBytes;
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
