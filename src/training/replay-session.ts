import type { Detector } from '../detectors/detector.js';
import type { Finding } from '../detectors/finding.js';
import type { ToolCallEvent } from '../normalize/events.js';
import type { CallRecord, SessionView } from '../session/session-view.js';

/** A session after normalization, as training and offline scoring take it. */
export interface NormalizedSession {
  readonly id: string;
  readonly prompt: string;
  readonly calls: readonly ToolCallEvent[];
}

/** A finished session as detectors see it at its end. */
export function sessionView(session: NormalizedSession): SessionView {
  const first = session.calls[0]?.startTimeMs ?? 0;
  return {
    id: session.id,
    service: session.calls[0]?.service ?? '',
    traceIds: session.calls[0] === undefined ? [] : [session.calls[0].traceId],
    prompt: session.prompt,
    userId: session.calls[0]?.userId ?? '',
    trust: 'unverified',
    revision: 0,
    calls: session.calls.map((event, index) => ({ index, event, origin: 'user' })),
    firstSeenMs: first,
    lastSeenMs: session.calls[session.calls.length - 1]?.startTimeMs ?? first,
    ended: true,
  };
}

/**
 * Runs a finished session through detectors offline as the pipeline would on a replay with the prompt
 * known: fresh states, every call in order, then the end. Findings keep their call index.
 */
export function replaySession(detectors: readonly Detector<unknown>[], session: NormalizedSession): Finding[] {
  const end = sessionView(session);
  const upTo = (count: number): SessionView => ({
    ...end,
    calls: end.calls.slice(0, count),
    lastSeenMs: session.calls[count - 1]?.startTimeMs ?? end.firstSeenMs,
    ended: false,
  });
  const states = detectors.map((d) => d.createState(upTo(0)));
  const findings: Finding[] = [];
  end.calls.forEach((call: CallRecord, i) => {
    const current = upTo(i + 1);
    detectors.forEach((detector, d) => findings.push(...detector.observe({ session: current, state: states[d], call })));
  });
  detectors.forEach((detector, d) => findings.push(...(detector.observeEnd?.(end, states[d]) ?? [])));
  return findings;
}
