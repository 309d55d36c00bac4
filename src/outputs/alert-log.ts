import type { Alert } from '../scoring/risk.js';

export interface AlertQuery {
  /** Alerts created at or after this time (epoch ms). */
  readonly sinceMs: number;
  readonly limit: number;
}

/** Recent alerts, newest first, for the API. */
export interface AlertLog {
  list(query: AlertQuery): Alert[];
}
