import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { JWK } from 'jose';
import { signSessionAttestation } from '../../src/sdk/index.js';

/** Demo keys only: the private key is in the repository so the example runs with one command. */
export const DEMO_JWKS_FILE = fileURLToPath(new URL('./keys/jwks.json', import.meta.url));
const DEMO_PRIVATE_KEY_FILE = fileURLToPath(new URL('./keys/orchestrator.private.jwk.json', import.meta.url));

/**
 * The service that spawns agent sessions: it knows which user a session acts for and signs that, so
 * the agent cannot choose its own identity. chainwatch holds its public key (`--jwks`).
 */
export class Orchestrator {
  constructor(
    readonly name: string,
    private readonly key: JWK,
  ) {}

  static async demo(): Promise<Orchestrator> {
    return new Orchestrator('demo-orchestrator', JSON.parse(await readFile(DEMO_PRIVATE_KEY_FILE, 'utf8')) as JWK);
  }

  attest(user: string, sessionId: string, options: { issuedAt?: number; ttlSeconds?: number } = {}): Promise<string> {
    return signSessionAttestation(
      {
        sub: user,
        sid: sessionId,
        iss: this.name,
        ...(options.issuedAt !== undefined ? { iat: options.issuedAt } : {}),
        ...(options.ttlSeconds !== undefined ? { ttlSeconds: options.ttlSeconds } : {}),
      },
      this.key,
    );
  }
}
