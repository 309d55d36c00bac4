import type { ScoreUpdate } from '../scoring/risk.js';

/** Each session's latest risk, for lookups. `put` is fire-and-forget on the hot path. */
export interface RiskStore {
  put(update: ScoreUpdate): void;
  get(session: string): Promise<ScoreUpdate | undefined>;
  /** Writes what is pending, then refuses further puts. */
  close(): Promise<void>;
}
