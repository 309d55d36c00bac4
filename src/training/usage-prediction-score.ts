import type { ClusteringScore } from '../detectors/clusters/index.js';

/** Sessions scored per k at most (a fixed stride through the input beyond it). */
const MAX_SCORED_SESSIONS = 5000;

/**
 * Scores a clustering of prompts by how well a session's cluster predicts what the session does:
 * the leave-one-out log-likelihood of each session's usage presence vector under per-cluster Bernoulli
 * rates (shrunk towards the global rate by one pseudo-session), per session. Finer clusters win only
 * while they still hold enough sessions to predict from, which is what conditioning needs.
 *
 * `pointOfSession[i]` is the clustered point (distinct prompt) of session i; `usage[i]` its presence vector.
 */
export function usagePredictionScore(pointOfSession: readonly number[], usage: readonly Float32Array[]): ClusteringScore {
  const n = usage.length;
  const width = usage[0]?.length ?? 0;
  const global = new Float64Array(width);
  for (const u of usage) for (let j = 0; j < width; j++) global[j] = (global[j] as number) + (u[j] as number);
  const prior = global.map((g) => (g + 0.5) / (n + 1));
  const stride = Math.max(1, Math.ceil(n / MAX_SCORED_SESSIONS));

  return (labels, k) => {
    const sessions = new Float64Array(k);
    const sums = Array.from({ length: k }, () => new Float64Array(width));
    usage.forEach((u, i) => {
      const c = labels[pointOfSession[i] as number] as number;
      sessions[c] = (sessions[c] as number) + 1;
      const sum = sums[c] as Float64Array;
      for (let j = 0; j < width; j++) sum[j] = (sum[j] as number) + (u[j] as number);
    });
    let total = 0;
    let scored = 0;
    for (let i = 0; i < n; i += stride) {
      const u = usage[i] as Float32Array;
      const c = labels[pointOfSession[i] as number] as number;
      const others = (sessions[c] as number) - 1;
      const sum = sums[c] as Float64Array;
      for (let j = 0; j < width; j++) {
        const x = u[j] as number;
        const p = ((sum[j] as number) - x + (prior[j] as number)) / (others + 1);
        total += x > 0 ? Math.log(p) : Math.log(1 - p);
      }
      scored++;
    }
    return scored === 0 ? 0 : total / scored;
  };
}
