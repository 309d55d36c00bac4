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

/** A finished session as detectors see it after its first `count` calls (all of them by default). */
export function sessionView(session: NormalizedSession, count = session.calls.length, ended = true): SessionView {
  const first = session.calls[0]?.startTimeMs ?? 0;
  return {
    id: session.id,
    service: session.calls[0]?.service ?? '',
    traceIds: session.calls[0] === undefined ? [] : [session.calls[0].traceId],
    prompt: session.prompt,
    userId: session.calls[0]?.userId ?? '',
    trust: 'unverified',
    calls: session.calls.slice(0, count).map((event, index) => ({ index, event, origin: 'user' })),
    firstSeenMs: first,
    lastSeenMs: session.calls[count - 1]?.startTimeMs ?? first,
    ended,
  };
}

/**
 * Runs a finished session through detectors offline as the pipeline would on a replay with the prompt
 * known: fresh states, every call in order, then the end. Findings keep their call index.
 */
export function replaySession(detectors: readonly Detector<unknown>[], session: NormalizedSession): Finding[] {
  const start = sessionView(session, 0, false);
  const states = detectors.map((d) => d.createState(start));
  const findings: Finding[] = [];
  for (let i = 0; i < session.calls.length; i++) {
    const current = sessionView(session, i + 1, false);
    const call = current.calls[i] as CallRecord;
    detectors.forEach((detector, d) => findings.push(...detector.observe({ session: current, state: states[d], call })));
  }
  const end = sessionView(session);
  detectors.forEach((detector, d) => findings.push(...(detector.observeEnd?.(end, states[d]) ?? [])));
  return findings;
}
