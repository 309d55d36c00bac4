import type { Rng } from './prng.js';
import type { User } from './users.js';

/** When sessions start: on the user's working days and hours, in their time zone. */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Monday 2026-11-02T00:00:00Z. */
export const DEFAULT_START_MS = Date.UTC(2026, 10, 2);

function localHour(rng: Rng, user: User): number {
  const roll = rng.next();
  if (roll < 0.06) return rng.float(user.dayEndHour, Math.min(23.9, user.dayEndHour + 4));
  if (roll < 0.09) return rng.float(Math.max(0, user.dayStartHour - 2), user.dayStartHour);
  for (;;) {
    const hour = rng.float(user.dayStartHour, user.dayEndHour);
    // Fewer sessions over lunch; a morning bump as people go through their queues.
    const weight = hour >= 12 && hour < 13.5 ? 0.45 : hour < user.dayStartHour + 2 ? 1.25 : 1;
    if (rng.next() * 1.25 < weight) return hour;
  }
}

/** A start time in ms since the epoch, within `days` days from `startMs` (local calendar days). */
export function sessionStartMs(rng: Rng, user: User, startMs: number, days: number): number {
  const dayWeights = Array.from({ length: days }, (_, d) => {
    const weekday = new Date(startMs + d * DAY_MS).getUTCDay();
    return weekday === 0 || weekday === 6 ? user.weekendRate : 1;
  });
  const day = rng.weighted(
    dayWeights.map((_, d) => d),
    dayWeights,
  );
  const hour = localHour(rng, user);
  return Math.floor(startMs + day * DAY_MS + (hour - user.utcOffsetHours) * HOUR_MS + rng.int(0, 59_999));
}
