import { SEVERITIES } from '../finding.js';
import { NO_ELEMENT, didYouMean } from './diagnostics.js';
import type { DiagnosticBag } from './diagnostics.js';
import { RULE_APPENDABLE, RULE_OVERRIDABLE } from './ast.js';
import type {
  ElementAst,
  ExceptionAst,
  ListAst,
  MacroAst,
  OverrideMode,
  RuleAst,
  RuleFileAst,
  RuleOverridable,
  Scalar,
} from './ast.js';
import { NodeReader } from './node-reader.js';
import { BodyReader } from './validate-body.js';
import { MatcherReader } from './validate-matcher.js';
import { entryOf } from './source-tree.js';
import type { SourceMap, SourceNode } from './source-tree.js';

export { parseDuration } from './node-reader.js';

/** The rule file schema version this engine reads. */
export const SCHEMA_VERSION = 1;

export const MESSAGE_PLACEHOLDERS = [
  'rule',
  'description',
  'key',
  'count',
  'value',
  'values',
  'window',
  'calls',
  'tools',
  'session',
  'user',
] as const;

const FILE_KEYS = ['version', 'elements'];
const LIST_KEYS = ['list', 'items', 'override'];
const MACRO_KEYS = ['macro', 'condition', 'override'];
const RULE_KEYS = ['rule', 'override', ...RULE_OVERRIDABLE];
const EXCEPTION_KEYS = ['name', 'match', 'step'];

/** Stage 2 (validate): one file's YAML tree to typed elements; every problem goes to the bag. */
export function validateRuleFile(file: string, root: SourceNode, diagnostics: DiagnosticBag): RuleFileAst {
  const nodes = new NodeReader(diagnostics);
  const reader = new ElementReader(nodes);
  const elements: ElementAst[] = [];
  if (root.kind !== 'map') {
    nodes.error('bad-file', root.loc, 'a rule file is a mapping with `version` and `elements`');
    return { file, version: SCHEMA_VERSION, elements };
  }
  nodes.checkKeys(root, FILE_KEYS, 'rule file');
  const versionEntry = entryOf(root, 'version');
  let version = SCHEMA_VERSION;
  if (versionEntry === undefined) {
    nodes.error('missing-version', root.loc, `missing \`version\` (this engine reads version ${SCHEMA_VERSION})`);
  } else {
    const value = versionEntry.value;
    if (value.kind !== 'scalar' || value.value !== SCHEMA_VERSION) {
      nodes.error(
        'unsupported-version',
        value.loc,
        `unsupported version ${JSON.stringify(value.kind === 'scalar' ? value.value : value.kind)}; this engine reads version ${SCHEMA_VERSION}`,
      );
    } else {
      version = value.value;
    }
  }
  const elementsEntry = entryOf(root, 'elements');
  if (elementsEntry === undefined) {
    nodes.error('missing-field', root.loc, 'missing `elements` (a list of rule, list and macro elements)');
    return { file, version, elements };
  }
  if (elementsEntry.value.kind === 'scalar' && elementsEntry.value.value === null) return { file, version, elements };
  if (elementsEntry.value.kind !== 'seq') {
    nodes.error('bad-type', elementsEntry.value.loc, '`elements` must be a list');
    return { file, version, elements };
  }
  for (const node of elementsEntry.value.items) {
    const element = reader.element(node);
    if (element !== undefined) elements.push(element);
  }
  return { file, version, elements };
}

/** Reads one element (rule, list or macro) at a time; matchers and rule bodies go to their own readers. */
class ElementReader {
  private readonly matchers: MatcherReader;
  private readonly bodies: BodyReader;

  constructor(private readonly nodes: NodeReader) {
    this.matchers = new MatcherReader(nodes);
    this.bodies = new BodyReader(nodes, this.matchers);
  }

  element(node: SourceNode): ElementAst | undefined {
    this.nodes.currentElement = NO_ELEMENT;
    if (node.kind !== 'map') {
      this.nodes.error('bad-element', node.loc, 'an element is a mapping starting with `rule:`, `list:` or `macro:`');
      return undefined;
    }
    const kinds = (['rule', 'list', 'macro'] as const).filter((k) => entryOf(node, k) !== undefined);
    if (kinds.length !== 1) {
      this.nodes.error(
        'bad-element',
        node.loc,
        kinds.length === 0
          ? `an element needs one of \`rule:\`, \`list:\` or \`macro:\`${didYouMean(node.entries[0]?.key ?? '', ['rule', 'list', 'macro'])}`
          : `an element has exactly one of \`rule:\`, \`list:\` or \`macro:\` (found ${kinds.join(', ')})`,
      );
      return undefined;
    }
    const kind = kinds[0]!;
    const idEntry = entryOf(node, kind)!;
    const id = this.nodes.id(idEntry, kind);
    this.nodes.currentElement = { kind, id };
    if (kind === 'list') return this.list(node, id);
    if (kind === 'macro') return this.macro(node, id);
    return this.rule(node, id);
  }

  private overrideModes(
    map: SourceMap,
    allowed: readonly string[],
    appendable: readonly string[],
  ): Map<string, OverrideMode> | undefined {
    const entry = entryOf(map, 'override');
    if (entry === undefined) return undefined;
    const modes = new Map<string, OverrideMode>();
    if (entry.value.kind !== 'map') {
      this.nodes.error('bad-override', entry.value.loc, `\`override\` maps fields to append or replace, e.g. {${allowed[0]}: replace}`);
      return modes;
    }
    for (const item of entry.value.entries) {
      if (!allowed.includes(item.key)) {
        this.nodes.error('bad-override', item.keyLoc, `"${item.key}" cannot be overridden${didYouMean(item.key, allowed)}`);
        continue;
      }
      const mode = item.value.kind === 'scalar' ? item.value.value : undefined;
      if (mode !== 'append' && mode !== 'replace') {
        this.nodes.error('bad-override', item.value.loc, `override mode for "${item.key}" must be append or replace`);
        continue;
      }
      if (mode === 'append' && !appendable.includes(item.key)) {
        this.nodes.error('bad-override', item.value.loc, `"${item.key}" can only be replaced, not appended to`);
        continue;
      }
      modes.set(item.key, mode);
    }
    for (const field of map.entries) {
      if (field.key === 'override' || field.key === this.nodes.currentElement.kind) continue;
      if (allowed.includes(field.key) && !modes.has(field.key) && entry.value.entries.every((e) => e.key !== field.key)) {
        this.nodes.error('bad-override', field.keyLoc, `"${field.key}" is set in an override but not listed in \`override:\``);
      }
    }
    for (const [field] of modes) {
      if (entryOf(map, field) === undefined) {
        this.nodes.error('bad-override', entry.value.loc, `override lists "${field}" but the element does not set it`);
      }
    }
    return modes;
  }

  private list(map: SourceMap, id: string): ElementAst {
    this.nodes.checkKeys(map, LIST_KEYS, 'a list');
    const modes = this.overrideModes(map, ['items'], ['items']);
    const items: Scalar[] = [];
    const entry = entryOf(map, 'items');
    if (entry === undefined) {
      this.nodes.error('missing-field', map.loc, 'a list needs `items`');
    } else if (entry.value.kind !== 'seq') {
      this.nodes.error('bad-type', entry.value.loc, '`items` must be a list of values');
    } else {
      for (const item of entry.value.items) {
        if (item.kind !== 'scalar' || item.value === null) {
          this.nodes.error('bad-type', item.loc, 'list items must be strings, numbers or booleans');
        } else {
          items.push(item.value);
        }
      }
    }
    const list: ListAst = { id, loc: map.loc, items, ...(modes ? { override: modes.get('items') ?? 'replace' } : {}) };
    return { kind: 'list', list };
  }

  private macro(map: SourceMap, id: string): ElementAst | undefined {
    this.nodes.checkKeys(map, MACRO_KEYS, 'a macro');
    const modes = this.overrideModes(map, ['condition'], []);
    const entry = entryOf(map, 'condition');
    if (entry === undefined) {
      this.nodes.error('missing-field', map.loc, 'a macro needs a `condition` (a matcher)');
      return undefined;
    }
    const condition = this.matchers.matcher(entry.value);
    if (condition === undefined) return undefined;
    const macro: MacroAst = { id, loc: map.loc, condition, ...(modes ? { override: 'replace' as const } : {}) };
    return { kind: 'macro', macro };
  }

  private rule(map: SourceMap, id: string): ElementAst {
    this.nodes.checkKeys(map, RULE_KEYS, 'a rule');
    const modes = this.overrideModes(map, RULE_OVERRIDABLE, RULE_APPENDABLE) as
      | Map<RuleOverridable, OverrideMode>
      | undefined;
    const rule: {
      -readonly [K in keyof RuleAst]: RuleAst[K];
    } = { id, loc: map.loc };
    if (modes !== undefined) rule.override = modes;
    const description = entryOf(map, 'description');
    if (description !== undefined) rule.description = this.nodes.string(description.value, 'description');
    const severity = entryOf(map, 'severity');
    if (severity !== undefined) rule.severity = this.nodes.severity(severity.value);
    const score = entryOf(map, 'score');
    if (score !== undefined) {
      const value = this.nodes.number(score.value, 'score');
      if (value !== undefined && (value < 0 || value > 1)) {
        this.nodes.error('bad-value', score.value.loc, `score must be between 0 and 1, got ${value}`);
      } else if (value !== undefined) {
        rule.score = value;
      }
    }
    const tags = entryOf(map, 'tags');
    if (tags !== undefined) rule.tags = this.nodes.strings(tags.value, 'tags');
    const enabled = entryOf(map, 'enabled');
    if (enabled !== undefined) rule.enabled = this.nodes.boolean(enabled.value, 'enabled');
    const message = entryOf(map, 'message');
    if (message !== undefined) rule.message = this.messageTemplate(message.value);
    const exceptions = entryOf(map, 'exceptions');
    if (exceptions !== undefined) rule.exceptions = this.exceptions(exceptions.value);

    const bodies = (['match', 'sequence', 'threshold'] as const).map((k) => entryOf(map, k)).filter((e) => e !== undefined);
    if (bodies.length > 1) {
      this.nodes.error(
        'bad-rule',
        bodies[1]!.keyLoc,
        `a rule has exactly one of match, sequence or threshold (found ${bodies.map((b) => b.key).join(' and ')})`,
      );
    } else if (bodies.length === 1) {
      const body = this.bodies.body(bodies[0]!);
      if (body !== undefined) rule.body = body;
    }
    if (modes === undefined) {
      if (description === undefined) this.nodes.error('missing-field', map.loc, 'a rule needs a `description`');
      if (severity === undefined) this.nodes.error('missing-field', map.loc, `a rule needs a \`severity\` (${SEVERITIES.join(', ')})`);
      if (bodies.length === 0) this.nodes.error('missing-field', map.loc, 'a rule needs one of `match`, `sequence` or `threshold`');
    }
    return { kind: 'rule', rule };
  }

  private exceptions(node: SourceNode): ExceptionAst[] {
    const out: ExceptionAst[] = [];
    if (node.kind !== 'seq') {
      this.nodes.error('bad-type', node.loc, '`exceptions` must be a list of {name, match}');
      return out;
    }
    const names = new Set<string>();
    for (const item of node.items) {
      if (item.kind !== 'map') {
        this.nodes.error('bad-type', item.loc, 'an exception is a mapping {name, match, step?}');
        continue;
      }
      this.nodes.checkKeys(item, EXCEPTION_KEYS, 'an exception');
      const nameEntry = entryOf(item, 'name');
      const name = nameEntry === undefined ? undefined : this.nodes.string(nameEntry.value, 'exception name');
      if (nameEntry === undefined) this.nodes.error('missing-field', item.loc, 'an exception needs a `name`');
      if (name !== undefined) {
        if (names.has(name)) this.nodes.error('duplicate-exception', nameEntry!.value.loc, `exception "${name}" is defined twice`);
        names.add(name);
      }
      const matchEntry = entryOf(item, 'match');
      if (matchEntry === undefined) {
        this.nodes.error('missing-field', item.loc, 'an exception needs a `match`');
        continue;
      }
      const match = this.matchers.matcher(matchEntry.value);
      const stepEntry = entryOf(item, 'step');
      const step = stepEntry === undefined ? '' : (this.nodes.string(stepEntry.value, 'step') ?? '');
      if (match !== undefined && name !== undefined) out.push({ name, match, step, loc: item.loc });
    }
    return out;
  }

  private messageTemplate(node: SourceNode): string | undefined {
    const text = this.nodes.string(node, 'message');
    if (text === undefined) return undefined;
    for (const match of text.matchAll(/\{([^{}]*)\}/g)) {
      const name = match[1]!;
      if (!(MESSAGE_PLACEHOLDERS as readonly string[]).includes(name)) {
        this.nodes.error(
          'bad-message',
          node.loc,
          `unknown placeholder {${name}} in message (use ${MESSAGE_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})${didYouMean(name, MESSAGE_PLACEHOLDERS)}`,
        );
      }
    }
    return text;
  }
}
