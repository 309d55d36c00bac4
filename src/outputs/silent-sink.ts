import type { ScoreSink } from './score-sink.js';

/** Publishes nowhere: offline replays (`score`, `train`) read results from the sessions themselves. */
export const SILENT_SINK: ScoreSink = {
  name: 'silent',
  publishScore() {},
  publishAlert() {},
  publishEscalation() {},
  async flush() {},
  async close() {},
};
