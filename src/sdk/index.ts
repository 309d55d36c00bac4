export type { AttestationSigningKey, SessionAttestationInput, SignOptions } from './attestation-signer.js';
export { signSessionAttestation } from './attestation-signer.js';
export type { EscalationSamplerOptions, EscalationSamplerStats } from './escalation-sampler.js';
export { EscalationSampler } from './escalation-sampler.js';
export type { McpMeta } from './mcp-context.js';
export { extractMcpContext, injectMcpContext } from './mcp-context.js';
export type { AgentSessionDescription, McpSpanOptions, McpToolCallDescription } from './mcp-spans.js';
export {
  agentSessionAttributes,
  mcpToolCallAttributes,
  startAgentSessionSpan,
  traceMcpToolCall,
  traceMcpToolHandler,
} from './mcp-spans.js';
export type { NatsSpanExporterOptions, NatsSpanExporterStats } from './nats-span-exporter.js';
export { NatsSpanExporter } from './nats-span-exporter.js';
export { ESCALATED_ATTRIBUTE, SESSION_ATTRIBUTES } from './session-attributes.js';
export { ATTESTATION_ATTRIBUTE, ATTESTATION_AUDIENCE } from '../detectors/identity/attestation-claims.js';
export type { EscalationSignal } from '../scoring/risk.js';
