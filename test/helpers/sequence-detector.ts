import type { Detector } from '../../src/detectors/detector.js';
import type { Finding } from '../../src/detectors/finding.js';

/**
 * A small real detector for pipeline tests: flags `from` followed later in the session by `to`
 * (by category), and records every call it was shown so tests can check ordering and replays.
 */
export function categoryChainDetector(from: string, to: string, score = 0.9): Detector<{ seen: boolean }> & {
  readonly observed: string[];
} {
  const observed: string[] = [];
  return {
    id: 'test-chain',
    observed,
    async preload() {},
    createState: () => ({ seen: false }),
    observe({ state, call }): Finding[] {
      observed.push(call.event.tool);
      const category = call.event.toolClass.category;
      if (category === from) state.seen = true;
      if (category !== to || !state.seen) return [];
      return [
        {
          detector: 'test-chain',
          id: `${from}->${to}`,
          severity: 'high',
          score,
          message: `${from} then ${to} (${call.event.tool})`,
          callIndex: call.index,
          spanIds: [call.event.spanId],
        },
      ];
    },
    async shutdown() {},
  };
}
