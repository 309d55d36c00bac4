import { positionInSession } from '../../session/session-view.js';
import type { CallRecord, SessionView } from '../../session/session-view.js';
import type { CompiledRule, Evidence, MatchedCall, RuleFinding } from './compiled-rule.js';

/** Calls named in a message; the finding's `calls` keeps them all. */
const MESSAGE_CALLS = 6;

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 120_000) return `${Number((ms / 1000).toFixed(1))}s`;
  if (ms < 7_200_000) return `${Number((ms / 60_000).toFixed(1))}m`;
  return `${Number((ms / 3_600_000).toFixed(1))}h`;
}

function describeCalls(calls: readonly CallRecord[], session: SessionView): string {
  const shown = calls.length <= MESSAGE_CALLS ? calls : [...calls.slice(0, 2), ...calls.slice(-(MESSAGE_CALLS - 3))];
  const parts = shown.map((call) => {
    const position = call.event.sessionId === session.id ? call.index : positionInSession(session, call);
    return position >= 0 ? `${call.event.tool} (#${position})` : `${call.event.tool} (#${call.index} of session ${call.event.sessionId})`;
  });
  if (shown.length < calls.length) parts.splice(2, 0, `… ${calls.length - shown.length} more`);
  return parts.join(' → ');
}

function scope(rule: CompiledRule, key: string, session: SessionView): string {
  if (rule.bySession && rule.keyFields.length === 0) return `in session ${session.id}`;
  if (rule.bySession) return `in session ${session.id} for ${rule.byText.replace(/^session, /, '')} ${key}`;
  return `for ${rule.byText} ${key}`;
}

/** Builds a finding, with the rule's message template or a default sentence. */
export function buildFinding(rule: CompiledRule, evidence: Evidence, session: SessionView): RuleFinding {
  const calls: MatchedCall[] = evidence.calls.map((call) => ({
    sessionId: call.event.sessionId,
    index: call.index,
    spanId: call.event.spanId,
    tool: call.event.tool,
  }));
  const last = evidence.calls[evidence.calls.length - 1];
  const callIndex = evidence.completing !== null ? evidence.completing.index : last !== undefined ? positionInSession(session, last) : -1;
  return {
    detector: 'rules',
    id: rule.id,
    severity: rule.severity,
    score: rule.score,
    message: rule.message === undefined ? defaultMessage(rule, evidence, session) : fillTemplate(rule, evidence, session),
    callIndex,
    spanIds: calls.map((call) => call.spanId),
    tags: rule.tags,
    calls,
    key: evidence.key,
    ...(rule.bySession ? {} : { crossSession: true }),
  };
}

function defaultMessage(rule: CompiledRule, evidence: Evidence, session: SessionView): string {
  const detail = evidence.detail === '' ? '' : ` ${evidence.detail}`;
  return `${rule.description}: ${describeCalls(evidence.calls, session)}${detail} ${scope(rule, evidence.key, session)} [rule ${rule.id}].`;
}

function fillTemplate(rule: CompiledRule, evidence: Evidence, session: SessionView): string {
  const tools = [...new Set(evidence.calls.map((call) => call.event.tool))].join(', ');
  return (rule.message ?? '').replace(/\{([a-z]+)\}/g, (whole, name: string) => {
    switch (name) {
      case 'rule':
        return rule.id;
      case 'description':
        return rule.description;
      case 'key':
        return evidence.key;
      case 'count':
        return String(evidence.calls.length);
      case 'value':
        return evidence.value === undefined ? '' : String(Number(evidence.value.toFixed(3)));
      case 'values':
        return (evidence.values ?? []).join(', ');
      case 'window':
        return formatDuration(evidence.spanMs);
      case 'calls':
        return describeCalls(evidence.calls, session);
      case 'tools':
        return tools;
      case 'session':
        return session.id;
      case 'user':
        return session.userId;
      default:
        return whole;
    }
  });
}
