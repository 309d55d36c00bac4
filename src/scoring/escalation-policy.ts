export interface EscalationOptions {
  /** Risk at or above which a session is escalated. */
  readonly escalateAt: number;
  /** Risk below which an escalated session is released (hysteresis: below `escalateAt`). */
  readonly releaseBelow: number;
  /** How long producers trace the session at 100 % after one signal. */
  readonly ttlSeconds: number;
  /** A signal is renewed this long before its TTL ends while the risk stays high. */
  readonly renewBeforeSeconds: number;
}

export const DEFAULT_ESCALATION: EscalationOptions = {
  escalateAt: 0.6,
  releaseBelow: 0.4,
  ttlSeconds: 600,
  renewBeforeSeconds: 60,
};

/** What the policy keeps per session. */
export interface EscalationMemory {
  escalated: boolean;
  lastSignalMs: number;
}

export type EscalationDecision = 'escalate' | 'renew' | 'release' | 'none';

/**
 * Hysteresis: one signal when the risk crosses `escalateAt`; renewed shortly before its TTL runs out
 * while the risk stays at or above `releaseBelow`; released (no signal, the producer's TTL lapses) when
 * it falls below. Never two signals for one crossing.
 */
export class EscalationPolicy {
  constructor(readonly options: EscalationOptions) {
    if (!(options.releaseBelow <= options.escalateAt)) {
      throw new Error(
        `escalation: releaseBelow (${options.releaseBelow}) must not exceed escalateAt (${options.escalateAt})`,
      );
    }
    if (!(options.renewBeforeSeconds < options.ttlSeconds)) {
      throw new Error(
        `escalation: renewBeforeSeconds (${options.renewBeforeSeconds}) must be below ttlSeconds (${options.ttlSeconds})`,
      );
    }
  }

  decide(memory: EscalationMemory, score: number, nowMs: number): EscalationDecision {
    if (!memory.escalated) return score >= this.options.escalateAt ? 'escalate' : 'none';
    if (score < this.options.releaseBelow) return 'release';
    const renewAtMs = memory.lastSignalMs + (this.options.ttlSeconds - this.options.renewBeforeSeconds) * 1000;
    return nowMs >= renewAtMs ? 'renew' : 'none';
  }

  /** Applies a decision to the memory; returns true when a signal must be sent. */
  apply(memory: EscalationMemory, decision: EscalationDecision, nowMs: number): boolean {
    switch (decision) {
      case 'escalate':
      case 'renew':
        memory.escalated = true;
        memory.lastSignalMs = nowMs;
        return true;
      case 'release':
        memory.escalated = false;
        return false;
      case 'none':
        return false;
    }
  }
}
