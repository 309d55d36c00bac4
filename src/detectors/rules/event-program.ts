import type { CallRecord, SessionView } from '../../session/session-view.js';
import type { CallTest } from './compile-matcher.js';
import type { CompiledRule, RuleFinding, RuleProgram } from './compiled-rule.js';
import { buildFinding } from './messages.js';

/** A single-call rule (`match:`): every call that matches is a finding. Keeps no state. */
export class EventProgram implements RuleProgram<null> {
  private rule!: CompiledRule;

  constructor(private readonly test: CallTest) {}

  bind(rule: CompiledRule): void {
    this.rule = rule;
  }

  createKeyState(): null {
    return null;
  }

  takeDropped(): number {
    return 0;
  }

  end(): void {}

  observe(call: CallRecord, session: SessionView, key: string, _state: null, out: RuleFinding[]): void {
    if (!this.test(call, session)) return;
    out.push(buildFinding(this.rule, { calls: [call], completing: call, key, spanMs: 0, detail: '' }, session));
  }
}
