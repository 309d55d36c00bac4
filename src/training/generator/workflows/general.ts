import { AGENT_SERVICES } from '../agent-apps.js';
import type { Workflow } from '../workflow.js';

/** Questions the model answers without tools: the trace is the root span alone. */

export const generalWorkflows: readonly Workflow[] = [
  {
    id: 'general_question',
    suite: 'general',
    services: AGENT_SERVICES,
    weight: 0.15,
    prompts: [
      'What can you help me with?',
      'Which systems can you access?',
      'Rewrite this more politely: "{text}"',
      'Translate to German: "{text}"',
      'thanks, that was helpful',
    ],
    injectable: false,
    tamper: [],
    plan(ctx) {
      const text = ctx.rng.pick([
        'send me the numbers by EOD',
        'this is not what we agreed',
        'the meeting is cancelled',
        'please review my PR',
      ]);
      return { slots: { text }, run() {} };
    },
  },
];
