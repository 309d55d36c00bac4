import { AGENT_APPS } from '../agent-apps.js';
import type { Rng } from '../prng.js';
import type { ServerFamily } from '../tool-catalog.js';
import type { WorkflowContext } from '../workflow.js';
import type { Account, Contact, Employee } from '../world.js';

/** Small helpers the workflows share: result text, dates, ids and habitual picks. */

const DAY_MS = 86_400_000;

export function json(value: unknown): string {
  return JSON.stringify(value);
}

/** Appends injected text to a free-text field, the way a planted comment or paragraph reads. */
export function weave(text: string, injection: string | undefined): string {
  return injection === undefined ? text : `${text}\n\n${injection}`;
}

export function csv(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [header.join(','), ...rows.map((row) => row.join(','))].join('\n');
}

export function isoDay(ms: number, offsetDays = 0): string {
  return new Date(ms + offsetDays * DAY_MS).toISOString().slice(0, 10);
}

export function isoTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

export function hhmm(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

export function connected(ctx: WorkflowContext, family: ServerFamily): boolean {
  return AGENT_APPS[ctx.service].servers.includes(family);
}

/** An account the user usually works on, now and then any account. */
export function habitualAccount(ctx: WorkflowContext): Account {
  const { rng, user, world } = ctx;
  return user.accounts.length > 0 && rng.chance(0.8) ? rng.pick(user.accounts) : rng.pick(world.accounts);
}

export function contactOf(rng: Rng, account: Account): Contact {
  return rng.pick(account.contacts);
}

export function colleague(ctx: WorkflowContext): Employee {
  const { rng, user, world } = ctx;
  const sameTeam = world.employees.filter(
    (e) => e.department === user.employee.department && e.userId !== user.employee.userId,
  );
  return sameTeam.length > 0 && rng.chance(0.7) ? rng.pick(sameTeam) : rng.pick(world.employees);
}

export function ticketId(rng: Rng, project = 'SUP'): string {
  return `${project}-${rng.int(project === 'SUP' ? 40000 : 2000, project === 'SUP' ? 52000 : 9800)}`;
}

export function invoiceId(rng: Rng): string {
  return `INV-2026-${rng.int(10000, 39999)}`;
}

export function money(amount: number): string {
  return amount.toFixed(2);
}

export interface Period {
  readonly label: string;
  readonly from: string;
  readonly to: string;
}

/** A reporting period relative to the session day, as people name them. */
export function pickPeriod(rng: Rng, nowMs: number): Period {
  const today = isoDay(nowMs);
  return rng.pick<Period>([
    { label: 'last month', from: '2026-10-01', to: '2026-11-01' },
    { label: 'October', from: '2026-10-01', to: '2026-11-01' },
    { label: 'Q3', from: '2026-07-01', to: '2026-10-01' },
    { label: 'last week', from: isoDay(nowMs, -7), to: today },
    { label: 'the last 30 days', from: isoDay(nowMs, -30), to: today },
    { label: 'year to date', from: '2026-01-01', to: today },
  ]);
}

/** Chat transcript lines as the chat server returns them. */
export function chatLines(
  rng: Rng,
  nowMs: number,
  authors: readonly string[],
  texts: readonly string[],
  injection?: string,
): string {
  const count = rng.int(3, 6);
  const lines: string[] = [];
  let t = nowMs - rng.int(2, 20) * 3_600_000;
  const injectAt = injection === undefined ? -1 : rng.int(0, count - 1);
  for (let i = 0; i < count; i++) {
    t += rng.int(3, 90) * 60_000;
    lines.push(`[${hhmm(t)}] ${rng.pick(authors)}: ${rng.pick(texts)}`);
    if (i === injectAt) lines.push(`[${hhmm(t + 60_000)}] ${rng.pick(authors)}: ${injection}`);
  }
  return lines.join('\n');
}
