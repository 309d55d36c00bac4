import type { ServerFamily } from './tool-catalog.js';
import type { Department } from './world.js';

/** The company's agent applications: each is one `service.name` with its own MCP connections. */

export const AGENT_SERVICES = [
  'sales-copilot',
  'support-assistant',
  'devops-agent',
  'data-analyst',
  'finance-assistant',
  'workplace-assistant',
] as const;
export type AgentService = (typeof AGENT_SERVICES)[number];

export interface AgentApp {
  readonly service: AgentService;
  readonly version: string;
  /** `gen_ai.request.model` choices and their shares of sessions. */
  readonly models: readonly (readonly [string, number])[];
  /** MCP servers the app is connected to: it can call tools of these only. */
  readonly servers: readonly ServerFamily[];
  /** Median LLM turn latency in ms (think time between tool turns). */
  readonly turnLatencyMs: number;
}

export const AGENT_APPS: Readonly<Record<AgentService, AgentApp>> = {
  'sales-copilot': {
    service: 'sales-copilot',
    version: '3.4.1',
    models: [
      ['gpt-4o-2024-08-06', 0.7],
      ['gpt-4.1-2025-04-14', 0.3],
    ],
    servers: ['crm', 'billing', 'docs', 'files', 'chat', 'tickets', 'db'],
    turnLatencyMs: 1600,
  },
  'support-assistant': {
    service: 'support-assistant',
    version: '2.11.0',
    models: [['claude-sonnet-4-20250514', 1]],
    servers: ['tickets', 'crm', 'docs', 'billing', 'chat', 'files', 'db'],
    turnLatencyMs: 2100,
  },
  'devops-agent': {
    service: 'devops-agent',
    version: '1.8.3',
    models: [
      ['claude-sonnet-4-20250514', 0.6],
      ['gpt-4.1-2025-04-14', 0.4],
    ],
    servers: ['cloud', 'tickets', 'docs', 'chat', 'code', 'db', 'files'],
    turnLatencyMs: 2300,
  },
  'data-analyst': {
    service: 'data-analyst',
    version: '0.9.12',
    models: [['gpt-4.1-2025-04-14', 1]],
    servers: ['db', 'code', 'files', 'chat', 'docs', 'crm'],
    turnLatencyMs: 2600,
  },
  'finance-assistant': {
    service: 'finance-assistant',
    version: '1.2.0',
    models: [['gpt-4o-2024-08-06', 1]],
    servers: ['billing', 'files', 'db', 'chat', 'code', 'crm', 'tickets', 'docs'],
    turnLatencyMs: 1900,
  },
  'workplace-assistant': {
    service: 'workplace-assistant',
    version: '4.0.2',
    models: [
      ['gpt-4o-mini-2024-07-18', 0.55],
      ['gemini-2.5-flash', 0.45],
    ],
    servers: ['docs', 'files', 'chat', 'code', 'crm'],
    turnLatencyMs: 1200,
  },
};

/** Which apps people of a department use, and how much. */
export const DEPARTMENT_APPS: Readonly<Record<Department, readonly (readonly [AgentService, number])[]>> = {
  sales: [
    ['sales-copilot', 0.88],
    ['workplace-assistant', 0.12],
  ],
  support: [
    ['support-assistant', 0.9],
    ['workplace-assistant', 0.1],
  ],
  engineering: [
    ['devops-agent', 0.8],
    ['data-analyst', 0.1],
    ['workplace-assistant', 0.1],
  ],
  data: [
    ['data-analyst', 0.9],
    ['workplace-assistant', 0.1],
  ],
  finance: [
    ['finance-assistant', 0.85],
    ['data-analyst', 0.08],
    ['workplace-assistant', 0.07],
  ],
  operations: [['workplace-assistant', 1]],
};
