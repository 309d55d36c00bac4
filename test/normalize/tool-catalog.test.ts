import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CatalogError, ToolCatalog, loadToolCatalog, parseToolCatalog } from '../../src/normalize/index.js';
import type { CatalogProblem } from '../../src/normalize/index.js';

const AGENTDOJO_CATALOG = fileURLToPath(
  new URL('../../../shared/datasets/agentdojo-dev/tool-catalog.yaml', import.meta.url),
);

/** Where `needle` first appears in `text` after `from`, as the 1-based line and column of a CatalogProblem. */
function positionOf(text: string, needle: string, from = 0): { line: number; column: number } {
  const offset = text.indexOf(needle, from);
  expect(offset, `"${needle}" in the test catalog`).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

function problemsOf(text: string): CatalogProblem[] {
  try {
    parseToolCatalog(text, 'broken.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogError);
    return [...(error as CatalogError).problems];
  }
  throw new Error('the catalog loaded');
}

describe('ToolCatalog: the AgentDojo catalog', () => {
  it('loads every tool with its class and keeps the other keys as annotations', async () => {
    const catalog = await loadToolCatalog(AGENTDOJO_CATALOG);
    const names = [...readFileSync(AGENTDOJO_CATALOG, 'utf8').matchAll(/^ {2}([a-z_]+):/gm)].map((m) => m[1]);
    expect(catalog.entries.map((entry) => entry.pattern)).toEqual(names);
    expect(catalog.source).toBe(AGENTDOJO_CATALOG);
    expect(catalog.classify('send_email')).toEqual({
      category: 'external_communication',
      effect: 'send',
      sensitive: false,
      cost: 0,
      inferred: false,
    });
    expect(catalog.classify('reserve_hotel')).toMatchObject({ category: 'financial', sensitive: true });
    expect(catalog.entryFor('create_calendar_event')?.annotations).toEqual({
      note: 'may invite external participants',
      suites: ['workspace', 'travel'],
    });
  });

  it('infers the tools the models made up', async () => {
    const catalog = await loadToolCatalog(AGENTDOJO_CATALOG);
    expect(catalog.entryFor('get_current_date')).toBeUndefined();
    expect(catalog.classify('get_current_date')).toMatchObject({ category: 'data_access', effect: 'read', inferred: true });
  });
});

describe('ToolCatalog: lookups', () => {
  const text = [
    'version: 3',
    'owner: {team: security}',
    'tools:',
    "  'github_*': {category: data_access, effect: read, note: first glob}",
    "  '*_email': {category: external_communication, effect: send}",
    '  github_delete_repo: {category: file_write, effect: delete, sensitive: true, cost: 5}',
    "  'mcp/**': {category: other, effect: read}",
  ].join('\n');

  it('matches exact names before globs, and globs in file order', () => {
    const catalog = parseToolCatalog(text, 'globs.yaml');
    expect(catalog.entryFor('github_delete_repo')?.pattern).toBe('github_delete_repo');
    expect(catalog.classify('github_delete_repo')).toEqual({
      category: 'file_write',
      effect: 'delete',
      sensitive: true,
      cost: 5,
      inferred: false,
    });
    expect(catalog.entryFor('github_send_email')?.pattern).toBe('github_*');
    expect(catalog.entryFor('slack_email')?.pattern).toBe('*_email');
    expect(catalog.entryFor('mcp/fs/read')?.pattern).toBe('mcp/**');
    expect(catalog.entryFor('gitlab_issue')).toBeUndefined();
  });

  it('places a tool on the server its entry names, and nowhere when none is named', () => {
    const catalog = parseToolCatalog(
      ['tools:', "  'crm_*': {category: data_access, effect: read, server: ' crm-mcp.internal '}", '  other: {category: other, effect: read}'].join('\n'),
      'servers.yaml',
    );
    expect(catalog.serverOf('crm_search')).toBe('crm-mcp.internal');
    expect(catalog.entryFor('crm_search')?.annotations).toEqual({});
    expect(catalog.serverOf('other')).toBe('');
    expect(catalog.serverOf('not_in_the_catalog')).toBe('');
  });

  it('keeps top-level and entry annotations', () => {
    const catalog = parseToolCatalog(text, 'globs.yaml');
    expect(catalog.annotations).toEqual({ version: 3, owner: { team: 'security' } });
    expect(catalog.entryFor('github_x')?.annotations).toEqual({ note: 'first glob' });
  });

  it('bounds its caches', () => {
    const catalog = new ToolCatalog([], { cacheSize: 3 });
    for (const tool of ['a_1', 'b_2', 'c_3', 'd_4', 'e_5']) catalog.classify(tool);
    catalog.classify('a_1', 'with a description');
    expect(catalog.stats().cachedInferences).toBe(3);
  });

  it('refuses cache and learning bounds that are not positive integers, naming the option', () => {
    expect(() => new ToolCatalog([], { cacheSize: 0 })).toThrow(/cacheSize must be a positive integer/);
    expect(() => new ToolCatalog([], { learnedLimits: { maxServices: 1.5 } })).toThrow(/maxServices/);
  });

  it('infers everything when no file is given', () => {
    expect(new ToolCatalog().classify('query_database')).toMatchObject({ category: 'data_access', inferred: true });
  });

  it('learns tool definitions within bounds and counts what it drops', () => {
    const catalog = new ToolCatalog([], { learnedLimits: { maxServices: 2, maxToolsPerService: 2 } });
    const tools = [
      { name: 'a', description: 'A' },
      { name: 'b', description: 'B' },
      { name: 'c', description: 'C' },
    ];
    catalog.learnDefinitions('svc-1', tools);
    catalog.learnDefinitions('svc-1', [{ name: 'a', description: 'A, updated' }]);
    catalog.learnDefinitions('svc-2', tools.slice(0, 1));
    catalog.learnDefinitions('svc-3', tools.slice(0, 1));
    expect(catalog.learnedDescription('svc-1', 'c')).toBe('');
    expect(catalog.learnedDescription('svc-3', 'a')).toBe('A');
    expect(catalog.stats()).toMatchObject({ learnedServices: 2, learnedTools: 2, droppedTools: 1, evictedServices: 1 });
  });
});

describe('ToolCatalog: invalid files', () => {
  it('lists every problem with its file, line and column', () => {
    const text = [
      '# a broken catalog',
      'tools:',
      '  send_email: {category: comms, effect: send}',
      '  delete_file: {category: file_write}',
      '  share_file: {category: external_communication, effect: publish, sensitive: "yes", cost: -1}',
      '  run_code: just a string',
      '  send_email: {category: other, effect: read}',
      '  ok_tool: {category: other, effect: read}',
      '  on_server: {category: other, effect: read, server: 443}',
      "  blank_server: {category: other, effect: read, server: ' '}",
    ].join('\n');
    const second = text.indexOf('send_email', text.indexOf('send_email') + 1);
    const at = (needle: string, from = 0) => ({ file: 'broken.yaml', ...positionOf(text, needle, from) });
    expect(problemsOf(text)).toEqual([
      { ...at('comms'), message: expect.stringMatching(/^tools\.send_email\.category: "comms" is not one of data_access, /) },
      { ...at('delete_file'), message: 'tools.delete_file: missing effect (one of read, write, delete, send)' },
      { ...at('publish'), message: 'tools.share_file.effect: "publish" is not one of read, write, delete, send' },
      { ...at('"yes"'), message: 'tools.share_file.sensitive: must be a boolean, got "yes"' },
      { ...at('-1'), message: 'tools.share_file.cost: must be a finite number >= 0' },
      { ...at('just a string'), message: 'tools.run_code: must be a map with category and effect' },
      { ...at('send_email', second), message: 'Map keys must be unique' },
      { ...at('443'), message: 'tools.on_server.server: must be a string, got 443' },
      { ...at("' '"), message: 'tools.blank_server.server: must not be empty' },
    ]);
  });

  it('names the file and each position in the error message', () => {
    expect(() => parseToolCatalog('tools:\n  x: {category: nope, effect: read}\n', 'cat.yaml')).toThrow(
      /tool catalog cat\.yaml has 1 problem:\n {2}cat\.yaml:2:17: tools\.x\.category: "nope"/,
    );
  });

  it('requires a tools map', () => {
    expect(problemsOf('note: no tools here\n')).toEqual([
      { file: 'broken.yaml', line: 1, column: 1, message: 'missing `tools:`, the map of tool names to classes' },
    ]);
    expect(problemsOf('- a list\n')[0]?.message).toBe('a tool catalog is a map with a `tools:` key');
    expect(problemsOf('tools:\n')[0]).toMatchObject({ line: 1, column: 1, message: expect.stringMatching(/must be a map/) });
  });

  it('reports a YAML syntax error with its position', () => {
    const problems = problemsOf('tools:\n  a: {category: other, effect: read\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatchObject({ file: 'broken.yaml', line: expect.any(Number), column: expect.any(Number) });
    expect(problems[0]!.line).toBeGreaterThanOrEqual(2);
  });

  it('reports a file it cannot read', async () => {
    await expect(loadToolCatalog('/nonexistent/catalog.yaml')).rejects.toThrow(
      /\/nonexistent\/catalog\.yaml:0:0: cannot read the file/,
    );
  });
});
