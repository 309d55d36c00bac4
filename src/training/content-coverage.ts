import type { ModelManifest } from './model-files.js';

/** Below this share a kind of content is too rare in the training traffic for the evidence built on it. */
const MIN_SHARE = 0.5;

/** A kind of content most of the training traffic did not carry. */
export interface CoverageGap {
  readonly content: 'prompt' | 'arguments' | 'result';
  readonly have: number;
  readonly of: number;
  /** What is lost without it, and what to record. */
  readonly message: string;
}

/**
 * What the training traffic lacked, and the evidence that goes without it. Instrumentations record
 * prompts, arguments and results only when asked to (the OpenTelemetry GenAI conventions make them
 * opt-in), so a model trained on bare traffic is quietly weaker: `train` says so.
 */
export function contentCoverageGaps(counts: ModelManifest['counts']): CoverageGap[] {
  const gaps: CoverageGap[] = [];
  const check = (content: CoverageGap['content'], have: number, of: number, what: string, lost: string, record: string) => {
    if (of === 0 || have / of >= MIN_SHARE) return;
    gaps.push({ content, have, of, message: `${have} of ${of} training ${what}: ${lost}. Record ${record}; see "What to record" in the README` });
  };
  check(
    'prompt',
    counts.sessionsWithPrompt,
    counts.sessions,
    "sessions carry the user's prompt",
    'the prompt clusters cannot tell one intent from another, so every session is judged against all of them and alerts come later',
    'gen_ai.input.messages (OpenTelemetry GenAI instrumentations: OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT)',
  );
  check(
    'arguments',
    counts.callsWithArguments,
    counts.calls,
    'calls carry their arguments',
    'recipients, URLs and IBANs never seen before, and values never seen for an argument, the main evidence against planted instructions, cannot be seen',
    'gen_ai.tool.call.arguments (opt-in in the semantic conventions)',
  );
  check(
    'result',
    counts.callsWithResult,
    counts.calls,
    'calls carry their result',
    'actions after unfamiliar content, and values copied from what a tool returned, cannot be seen',
    'gen_ai.tool.call.result (opt-in in the semantic conventions)',
  );
  return gaps;
}
