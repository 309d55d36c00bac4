import { describe, expect, it } from 'vitest';
import type { ToolCategory, ToolEffect } from '../../src/normalize/index.js';
import { inferToolClass, splitWords } from '../../src/normalize/index.js';

function guess(name: string, description?: string): string {
  const toolClass = inferToolClass(name, description);
  return `${toolClass.category}/${toolClass.effect}`;
}

describe('splitWords', () => {
  it('splits snake, kebab and camel case, acronyms included', () => {
    expect(splitWords('query_customer_pii')).toEqual(['query', 'customer', 'pii']);
    expect(splitWords('read-entitlements')).toEqual(['read', 'entitlements']);
    expect(splitWords('createShareableLink')).toEqual(['create', 'shareable', 'link']);
    expect(splitWords('getIAMRoles2')).toEqual(['get', 'iam', 'roles', '2']);
    expect(splitWords('github/create_issue')).toEqual(['github', 'create', 'issue']);
  });
});

describe('inferToolClass', () => {
  const cases: [string, ToolCategory, ToolEffect][] = [
    ['query_database', 'data_access', 'read'],
    ['run_python', 'code_execution', 'write'],
    ['post_to_slack', 'external_communication', 'send'],
    ['create_shareable_link', 'external_communication', 'send'],
    ['read_entitlements', 'identity', 'read'],
    ['query_customer_pii', 'pii_access', 'read'],
    ['executeShellCommand', 'code_execution', 'write'],
    ['transfer_money', 'financial', 'write'],
    ['get_payment_status', 'financial', 'read'],
    ['update_user_role', 'identity', 'write'],
    ['delete_email', 'file_write', 'delete'],
    ['cancel_calendar_event', 'file_write', 'delete'],
    ['upload-report', 'file_write', 'write'],
    ['invite_participant', 'external_communication', 'send'],
    ['get_user_information', 'pii_access', 'read'],
    ['book_flight', 'financial', 'write'],
    ['get_unread_emails', 'data_access', 'read'],
    ['webhook', 'external_communication', 'send'],
    ['grant_access', 'identity', 'write'],
    ['revoke_api_key', 'identity', 'delete'],
    ['browse_website', 'external_communication', 'read'],
    ['fetch_url', 'external_communication', 'read'],
    ['publish_web_page', 'external_communication', 'send'],
    // The web says where a call goes; money, code and its verb still say what it does.
    ['web_payment', 'financial', 'write'],
    ['http_transfer', 'financial', 'write'],
    ['execute_http_request', 'code_execution', 'write'],
    ['html_code', 'code_execution', 'write'],
  ];
  for (const [name, category, effect] of cases) {
    it(`${name} -> ${category}/${effect}`, () => {
      expect(guess(name)).toBe(`${category}/${effect}`);
    });
  }

  it('marks inferred classes, sensitive for personal data, money, identity and code', () => {
    expect(inferToolClass('query_customer_pii')).toEqual({
      category: 'pii_access',
      effect: 'read',
      sensitive: true,
      cost: 0,
      inferred: true,
    });
    expect(inferToolClass('list_files')).toMatchObject({ sensitive: false, inferred: true });
  });

  it('reads the description when the name says little', () => {
    expect(guess('lookup_account')).toBe('data_access/read');
    expect(guess('lookup_account', "Returns the customer's account, address and passport number.")).toBe('pii_access/read');
    expect(guess('zap', 'Sends a message to a Slack channel.')).toBe('external_communication/send');
    expect(guess('do_it')).toBe('other/read');
    expect(guess('zap', 'Returns the HTML of the page at the given URL.')).toBe('external_communication/read');
    // A name with its own object keeps it: the description's link is what the tool handles, not where it goes.
    expect(guess('list_documents', 'Lists documents and the URL of each.')).toBe('data_access/read');
    expect(guess('search', 'Returns matching pages with their URL.')).toBe('data_access/read');
  });
});
