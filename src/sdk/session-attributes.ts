/**
 * Span attributes that name a session, in the order chainwatch reads them: the agent's conversation
 * before the MCP transport session. A sampler sees only the attributes given at span start, so
 * producers must set one of these when they start a span.
 */
export const SESSION_ATTRIBUTES = [
  'gen_ai.conversation.id',
  'session.id',
  'traceloop.association.properties.session_id',
  'mcp.session.id',
] as const;

/** Set on spans the escalation sampler kept because their session or trace is escalated. */
export const ESCALATED_ATTRIBUTE = 'chainwatch.sampling.escalated';
