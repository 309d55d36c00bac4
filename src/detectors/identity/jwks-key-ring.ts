import type { JWTVerifyGetKey } from 'jose';
import { FileWatchSlot } from '../../config/file-watch-slot.js';
import { attestationKeys, loadJwksFile } from './attestation-keys.js';

/** What a JWKS reload did: a file with any error leaves the running keys in place. */
export interface JwksReloadOutcome {
  readonly ok: boolean;
  /** Keys in use after this attempt. */
  readonly keys: number;
  /** Why the file was not applied; '' when it was. */
  readonly error: string;
  readonly trigger: string;
}

/**
 * The orchestrators' keys from a JWKS file, reloaded when the file changes so keys can be rotated (or a
 * leaked one withdrawn) without a restart. `keys` is stable: verifiers keep it and always see the
 * current set. A file that cannot be used keeps the running keys and says why.
 */
export class JwksKeyRing {
  private current: JWTVerifyGetKey;
  private count: number;
  private readonly fileWatch = new FileWatchSlot();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(outcome: JwksReloadOutcome) => void>();

  private constructor(
    readonly path: string,
    keys: JWTVerifyGetKey,
    count: number,
  ) {
    this.current = keys;
    this.count = count;
  }

  /** Reads the file once; a bad file at start is an error (the service does not start on it). */
  static async load(path: string): Promise<JwksKeyRing> {
    const jwks = await loadJwksFile(path);
    return new JwksKeyRing(path, attestationKeys(jwks), jwks.keys.length);
  }

  readonly keys: JWTVerifyGetKey = (header, token) => this.current(header, token);

  get size(): number {
    return this.count;
  }

  onReload(listener: (outcome: JwksReloadOutcome) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the file again and, if every key in it is usable, uses it from now on. */
  reload(trigger = 'reload'): Promise<JwksReloadOutcome> {
    const next = this.chain.then(async () => {
      let outcome: JwksReloadOutcome;
      try {
        const jwks = await loadJwksFile(this.path);
        this.current = attestationKeys(jwks);
        this.count = jwks.keys.length;
        outcome = { ok: true, keys: this.count, error: '', trigger };
      } catch (error) {
        outcome = { ok: false, keys: this.count, error: error instanceof Error ? error.message : String(error), trigger };
      }
      for (const listener of this.listeners) listener(outcome);
      return outcome;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Reloads when the file changes. Idempotent. */
  watch(debounceMs = 150): Promise<void> {
    return this.fileWatch.start([this.path], () => void this.reload('watch'), { debounceMs });
  }

  async close(): Promise<void> {
    await this.fileWatch.close();
    await this.chain;
  }
}
