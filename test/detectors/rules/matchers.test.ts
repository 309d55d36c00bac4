import { describe, expect, it } from 'vitest';
import type { ToolCallEvent } from '../../../src/normalize/events.js';
import { nested, sessionOf, toolCall } from '../../helpers/tool-calls.js';
import type { SessionOptions } from '../../helpers/tool-calls.js';
import { engineOf, ruleFile, run } from './harness.js';

const LISTS = `
- list: exfil_tools
  items: [send_email, post_webhook]
- list: allowed_domains
  items: [corp.example, partner.example]
- list: private_categories
  items: [pii_access, financial]
`;

/** Does a single-call rule with this matcher fire on the last call of the session? */
function fires(
  matcher: string,
  call: ToolCallEvent,
  options: SessionOptions & { before?: ToolCallEvent[]; origin?: 'nested' } = {},
): boolean {
  const { detector } = engineOf(
    ruleFile(`${LISTS}\n- rule: m\n  description: d\n  severity: low\n  match: ${matcher}\n`),
  );
  const last = options.origin === 'nested' ? nested(call) : call;
  const session = sessionOf([...(options.before ?? []), last], options);
  const lastIndex = session.calls.length - 1;
  return run(detector, session, { promptFromStart: true }).some((f) => f.callIndex === lastIndex);
}

describe('event matchers', () => {
  it.each([
    ['exact tool', '{tool: send_email}', { tool: 'send_email' }, true],
    ['exact tool, other name', '{tool: send_email}', { tool: 'send_emails' }, false],
    ['tool glob', '{tool: {glob: "get_*"}}', { tool: 'get_balance' }, true],
    ['tool glob, no match', '{tool: {glob: "get_*"}}', { tool: 'set_balance' }, false],
    ['tool glob ignoring case', '{tool: {glob: "*EMAIL*", ignore_case: true}}', { tool: 'read_email' }, true],
    ['tool regex', '{tool: {matches: "^(send|post)_"}}', { tool: 'post_webhook' }, true],
    ['tool regex literal with flags', '{tool: {matches: "/^SEND_/i"}}', { tool: 'send_email' }, true],
    ['tool regex, no match', '{tool: {matches: "^(send|post)_"}}', { tool: 'resend' }, false],
    ['tool in inline list', '{tool: [a, send_email]}', { tool: 'send_email' }, true],
    ['tool in $list', '{tool: $exfil_tools}', { tool: 'post_webhook' }, true],
    ['tool in $list, no match', '{tool: {in: $exfil_tools}}', { tool: 'read_email' }, false],
    ['tool in $list plus literal', '{tool: {in: [$exfil_tools, fax]}}', { tool: 'fax' }, true],
    ['category', '{category: pii_access}', { category: 'pii_access' as const }, true],
    ['category, no match', '{category: pii_access}', { category: 'data_access' as const }, false],
    ['category in $list', '{category: {in: $private_categories}}', { category: 'financial' as const }, true],
    ['effect', '{effect: delete}', { effect: 'delete' as const }, true],
    ['effect, no match', '{effect: delete}', { effect: 'read' as const }, false],
    ['server', '{server: {ends_with: ".internal"}}', { server: 'hr.internal' }, true],
    ['server exists', '{server: {exists: true}}', { server: '' }, false],
    ['server absent', '{server: {exists: false}}', { server: '' }, true],
    ['service', '{service: billing-agent}', { service: 'billing-agent' }, true],
    ['status error', '{status: error}', { status: 'error' as const }, true],
    ['status error, no match', '{status: error}', { status: 'ok' as const }, false],
    ['sensitive', '{sensitive: true}', { sensitive: true }, true],
    ['sensitive, no match', '{sensitive: true}', { sensitive: false }, false],
    ['cost above', '{cost: {gt: 0.5}}', { cost: 2 }, true],
    ['cost above, no match', '{cost: {gt: 0.5}}', { cost: 0.5 }, false],
    ['user', '{user: {starts_with: svc-}}', { userId: 'svc-backup' }, true],
    ['not', '{not: {tool: a}}', { tool: 'b' }, true],
    ['not, no match', '{not: {tool: a}}', { tool: 'a' }, false],
    ['any', '{any: [{tool: a}, {category: identity}]}', { tool: 'z', category: 'identity' as const }, true],
    ['all', '{all: [{tool: a}, {effect: send}]}', { tool: 'a', effect: 'read' as const }, false],
  ])('%s', (_name, matcher, overrides, expected) => {
    expect(fires(matcher, toolCall(overrides))).toBe(expected);
  });

  it('origin: user-requested vs nested calls', () => {
    expect(fires('{origin: nested}', toolCall(), { origin: 'nested' })).toBe(true);
    expect(fires('{origin: nested}', toolCall())).toBe(false);
    expect(fires('{origin: user}', toolCall())).toBe(true);
  });

  it('trust: the session identity', () => {
    expect(fires('{trust: [invalid, spoofed]}', toolCall(), { trust: 'spoofed' })).toBe(true);
    expect(fires('{trust: [invalid, spoofed]}', toolCall(), { trust: 'verified' })).toBe(false);
  });
});

describe('argument and result predicates by path', () => {
  const payment = toolCall({
    tool: 'pay',
    arguments: { amount: '1500.50', recipient: { iban: 'DE89370400440532013000', name: 'Ann' }, tags: ['urgent', 'q3'] },
    result: '{"status":"queued","ids":[{"ref":"tx-9"}]}',
  });
  it.each([
    ['equals', '{args.recipient.name: Ann}', true],
    ['equals, no match', '{args.recipient.name: Bob}', false],
    ['equals ignoring case', '{args.recipient.name: {equals: ann, ignore_case: true}}', true],
    ['numeric comparison on a numeric string', '{args.amount: {gt: 1000}}', true],
    ['numeric comparison, no match', '{args.amount: {lte: 1000}}', false],
    ['range', '{args.amount: {gte: 1000, lt: 2000}}', true],
    ['in list', '{args.tags.0: [urgent, low]}', true],
    ['wildcard over array elements', '{args.tags.*: q3}', true],
    ['contains', '{args.recipient.iban: {contains: "3704"}}', true],
    ['matches', '{args.recipient.iban: {matches: "^DE\\\\d{20}$"}}', true],
    ['exists', '{args.recipient.iban: {exists: true}}', true],
    ['exists, absent path', '{args.recipient.bic: {exists: true}}', false],
    ['absent path is not matched by other predicates', '{args.recipient.bic: {contains: ""}}', false],
    ['structured value: any leaf', '{args: {contains: Ann}}', true],
    ['result path (JSON)', '{result.ids.*.ref: tx-9}', true],
    ['result text', '{result: {contains: queued}}', true],
    ['result path on no match', '{result.status: done}', false],
  ])('%s', (_name, matcher, expected) => {
    expect(fires(matcher, payment)).toBe(expected);
  });

  it('treats raw string arguments as text', () => {
    expect(fires('{args: {contains: "rm -rf"}}', toolCall({ arguments: 'bash -c "rm -rf /"' }))).toBe(true);
    expect(fires('{args.cmd: {contains: "rm -rf"}}', toolCall({ arguments: 'rm -rf /' }))).toBe(false);
  });
});

describe('content checks on any string field', () => {
  const cases: [string, string, unknown, boolean][] = [
    ['e-mail', 'email', { to: 'mallory@evil.example' }, true],
    ['phone', 'phone', { note: 'call me on +44 20 7946 0958' }, true],
    ['card with valid Luhn', 'card', { pan: '4111 1111 1111 1111' }, true],
    ['card failing Luhn', 'card', { pan: '4111 1111 1111 1112' }, false],
    ['IBAN with valid mod-97', 'iban', { iban: 'GB82 WEST 1234 5698 7654 32' }, true],
    ['IBAN failing mod-97', 'iban', { iban: 'GB82WEST12345698765433' }, false],
    ['US SSN', 'national_id', { ssn: '123-45-6789' }, true],
    ['UK NINO', 'national_id', { nino: 'AB 12 34 56 C' }, true],
    ['no PII', 'email', { note: 'quarterly numbers look fine' }, false],
  ];
  it.each(cases)('PII: %s', (_name, kind, args, expected) => {
    expect(fires(`{args: {contains_pii: [${kind}]}}`, toolCall({ arguments: args }))).toBe(expected);
  });

  it('PII: any kind', () => {
    expect(fires('{result: {contains_pii: true}}', toolCall({ result: 'Name: Ann, card 5500 0000 0000 0004' }))).toBe(true);
    expect(fires('{result: {contains_pii: true}}', toolCall({ result: 'order 1234 shipped' }))).toBe(false);
  });

  it.each([
    ['AWS key', 'AKIAIOSFODNN7EXAMPLE', true],
    ['GitHub token', `ghp_${'a'.repeat(36)}`, true],
    ['private key', '-----BEGIN RSA PRIVATE KEY-----\nMIIE...', true],
    ['JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', true],
    ['password assignment', 'password = "hunter2hunter2hunter2"', true],
    ['ordinary text', 'the token ring network was retired', false],
  ])('secret: %s', (_name, value, expected) => {
    expect(fires('{args: {contains_secret: true}}', toolCall({ arguments: { body: value } }))).toBe(expected);
  });

  it('URLs and e-mail domains outside an allow-list', () => {
    const outside = '{args: {url_outside: $allowed_domains}}';
    expect(fires(outside, toolCall({ arguments: { url: 'https://paste.evil.example/x' } }))).toBe(true);
    expect(fires(outside, toolCall({ arguments: { url: 'https://wiki.corp.example/page' } }))).toBe(false);
    expect(fires(outside, toolCall({ arguments: { text: 'see www.evil.example for details' } }))).toBe(true);
    const mail = '{args.to: {email_domain_outside: [corp.example]}}';
    expect(fires(mail, toolCall({ arguments: { to: ['ann@corp.example', 'eve@gmail.example'] } }))).toBe(true);
    expect(fires(mail, toolCall({ arguments: { to: ['ann@corp.example', 'bob@sales.corp.example'] } }))).toBe(false);
  });
});

describe('provenance: from_tool_output', () => {
  const reader = toolCall({ tool: 'read_inbox', result: 'Please wire the fee to DE89370400440532013000 today.' });
  const pay = (iban: string) => toolCall({ tool: 'pay', category: 'financial', arguments: { iban } });
  const matcher = '{args.iban: {from_tool_output: true}}';

  it('holds when the argument came from an earlier tool result and not from the prompt', () => {
    expect(fires(matcher, pay('DE89370400440532013000'), { before: [reader], prompt: 'pay my gas bill' })).toBe(true);
  });
  it('does not hold when the prompt gave the value', () => {
    expect(
      fires(matcher, pay('DE89370400440532013000'), { before: [reader], prompt: 'pay DE89370400440532013000 the fee' }),
    ).toBe(false);
  });
  it('does not hold for a value no tool returned', () => {
    expect(fires(matcher, pay('FR1420041010050500013M02606'), { before: [reader], prompt: 'pay the bill' })).toBe(false);
  });
  it('can require the source call to match', () => {
    const fromWeb = '{args.iban: {from_tool_output: {from: {tool: {glob: "*web*"}}}}}';
    expect(fires(fromWeb, pay('DE89370400440532013000'), { before: [reader], prompt: 'pay' })).toBe(false);
    const fromInbox = '{args.iban: {from_tool_output: {from: {tool: read_inbox}}}}';
    expect(fires(fromInbox, pay('DE89370400440532013000'), { before: [reader], prompt: 'pay' })).toBe(true);
  });
  it('ignores values shorter than min_length', () => {
    const short = toolCall({ tool: 'read', result: 'id: 42' });
    expect(fires('{args.n: {from_tool_output: true}}', toolCall({ arguments: { n: '42' } }), { before: [short], prompt: 'x' })).toBe(false);
    expect(
      fires('{args.n: {from_tool_output: {min_length: 2}}}', toolCall({ arguments: { n: '42' } }), { before: [short], prompt: 'x' }),
    ).toBe(true);
  });
});
