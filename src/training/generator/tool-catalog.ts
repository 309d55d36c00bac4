import type { ToolCategory, ToolEffect } from '../../normalize/events.js';

/** The MCP servers of the simulated company, one per tool family. */
export const SERVER_FAMILIES = ['db', 'crm', 'tickets', 'docs', 'cloud', 'chat', 'code', 'files', 'billing'] as const;
export type ServerFamily = (typeof SERVER_FAMILIES)[number];

export function serverAddress(family: ServerFamily): string {
  return `${family}-mcp.internal`;
}

export interface ToolSpec {
  readonly name: string;
  readonly family: ServerFamily;
  readonly category: ToolCategory;
  readonly effect: ToolEffect;
  readonly sensitive: boolean;
  /** Cost of one call in US cents (warehouse scans, compute, paid APIs); 0 when negligible. */
  readonly cost: number;
  readonly note?: string;
  readonly description: string;
  /** `name:type` with a trailing `!` when required, comma-separated; becomes a JSON schema in tools/list. */
  readonly params: string;
  /** Median call latency in ms. */
  readonly latencyMs: number;
}

type Spec = Omit<ToolSpec, 'name' | 'family' | 'sensitive' | 'cost'> & { sensitive?: boolean; cost?: number };

function family(name: ServerFamily, tools: Record<string, Spec>): ToolSpec[] {
  return Object.entries(tools).map(([tool, spec]) => ({
    ...spec,
    name: tool,
    family: name,
    sensitive: spec.sensitive ?? false,
    cost: spec.cost ?? 0,
  }));
}

export const TOOL_SPECS: readonly ToolSpec[] = [
  ...family('db', {
    list_tables: {
      category: 'data_access',
      effect: 'read',
      description: 'List the tables of the analytics warehouse.',
      params: 'schema:string',
      latencyMs: 60,
    },
    describe_table: {
      category: 'data_access',
      effect: 'read',
      description: 'Columns and types of a warehouse table.',
      params: 'table:string!',
      latencyMs: 80,
    },
    run_query: {
      category: 'data_access',
      effect: 'read',
      sensitive: true,
      cost: 5,
      note: 'read-only SQL over every warehouse table, customer PII included',
      description: 'Run a read-only SQL query on the analytics warehouse.',
      params: 'sql:string!,limit:integer',
      latencyMs: 900,
    },
    export_table: {
      category: 'pii_access',
      effect: 'read',
      sensitive: true,
      cost: 8,
      note: 'full table dump',
      description: 'Export a whole table as CSV or JSON.',
      params: 'table:string!,format:string',
      latencyMs: 3000,
    },
  }),
  ...family('crm', {
    search_accounts: {
      category: 'data_access',
      effect: 'read',
      description: 'Search customer accounts by name or domain.',
      params: 'query:string!',
      latencyMs: 160,
    },
    get_account: {
      category: 'data_access',
      effect: 'read',
      description: 'One customer account with owner, tier, ARR and notes.',
      params: 'account_id:string!',
      latencyMs: 120,
    },
    search_contacts: {
      category: 'pii_access',
      effect: 'read',
      sensitive: true,
      description: 'Search customer contacts (name, e-mail, phone).',
      params: 'query:string!,account_id:string',
      latencyMs: 170,
    },
    get_contact: {
      category: 'pii_access',
      effect: 'read',
      sensitive: true,
      description: 'One customer contact.',
      params: 'contact_id:string!',
      latencyMs: 100,
    },
    list_opportunities: {
      category: 'data_access',
      effect: 'read',
      description: 'Open opportunities, filtered by account, owner or stage.',
      params: 'account_id:string,owner:string,stage:string,close_before:string',
      latencyMs: 220,
    },
    update_opportunity: {
      category: 'file_write',
      effect: 'write',
      description: 'Change the stage, amount or close date of an opportunity.',
      params: 'opportunity_id:string!,stage:string,amount:number,close_date:string',
      latencyMs: 180,
    },
    log_activity: {
      category: 'file_write',
      effect: 'write',
      description: 'Log a call, meeting or note on an account.',
      params: 'account_id:string!,contact_id:string,type:string!,note:string!',
      latencyMs: 150,
    },
    update_contact: {
      category: 'file_write',
      effect: 'write',
      sensitive: true,
      note: 'changes where customer mail and invoices go',
      description: "Update a contact's e-mail, phone or title.",
      params: 'contact_id:string!,email:string,phone:string,title:string',
      latencyMs: 160,
    },
    export_contacts: {
      category: 'pii_access',
      effect: 'read',
      sensitive: true,
      cost: 3,
      note: 'bulk contact export',
      description: 'Export the contacts of a segment with the chosen fields.',
      params: 'segment:string!,fields:array',
      latencyMs: 2500,
    },
  }),
  ...family('tickets', {
    search_tickets: {
      category: 'data_access',
      effect: 'read',
      description: 'Search support and engineering tickets.',
      params: 'query:string,status:string,queue:string,limit:integer',
      latencyMs: 200,
    },
    get_ticket: {
      category: 'data_access',
      effect: 'read',
      description: 'One ticket with its description and comments.',
      params: 'ticket_id:string!',
      latencyMs: 120,
    },
    update_ticket: {
      category: 'file_write',
      effect: 'write',
      description: 'Change status, priority, assignee or tags of a ticket.',
      params: 'ticket_id:string!,status:string,priority:string,assignee:string,tags:array',
      latencyMs: 150,
    },
    add_comment: {
      category: 'file_write',
      effect: 'write',
      description: 'Add an internal comment to a ticket.',
      params: 'ticket_id:string!,body:string!',
      latencyMs: 130,
    },
    reply_to_customer: {
      category: 'external_communication',
      effect: 'send',
      note: 'mails the ticket requester',
      description: 'Send a public reply to the ticket requester.',
      params: 'ticket_id:string!,body:string!,cc:array',
      latencyMs: 300,
    },
    create_ticket: {
      category: 'file_write',
      effect: 'write',
      description: 'Create a ticket in a project.',
      params: 'project:string!,title:string!,description:string!,priority:string,component:string',
      latencyMs: 220,
    },
  }),
  ...family('docs', {
    search_docs: {
      category: 'data_access',
      effect: 'read',
      description: 'Full-text search over the internal wiki.',
      params: 'query:string!,space:string',
      latencyMs: 250,
    },
    get_page: {
      category: 'data_access',
      effect: 'read',
      description: 'One wiki page.',
      params: 'page_id:string!',
      latencyMs: 150,
    },
    update_page: {
      category: 'file_write',
      effect: 'write',
      description: 'Replace the content of a wiki page.',
      params: 'page_id:string!,content:string!,summary:string',
      latencyMs: 260,
    },
    create_page: {
      category: 'file_write',
      effect: 'write',
      description: 'Create a wiki page.',
      params: 'space:string!,title:string!,content:string!',
      latencyMs: 300,
    },
    fetch_url: {
      category: 'external_communication',
      effect: 'read',
      cost: 1,
      note: 'fetches outside content; the request, URL and all, leaves the company',
      description: 'Fetch a web page and return its text.',
      params: 'url:string!',
      latencyMs: 700,
    },
  }),
  ...family('cloud', {
    list_instances: {
      category: 'data_access',
      effect: 'read',
      description: 'Compute instances in a region.',
      params: 'region:string!,state:string',
      latencyMs: 400,
    },
    get_logs: {
      category: 'data_access',
      effect: 'read',
      cost: 1,
      description: 'Recent log lines of a service.',
      params: 'service:string!,since:string!,level:string,query:string,limit:integer',
      latencyMs: 800,
    },
    get_metrics: {
      category: 'data_access',
      effect: 'read',
      description: 'A metric of a service over a time window.',
      params: 'service:string!,metric:string!,window:string!',
      latencyMs: 300,
    },
    scale_service: {
      category: 'other',
      effect: 'write',
      note: 'changes capacity and spend',
      description: 'Set the replica count of a service.',
      params: 'service:string!,replicas:integer!,region:string',
      latencyMs: 600,
    },
    restart_service: {
      category: 'other',
      effect: 'write',
      description: 'Rolling restart of a service.',
      params: 'service:string!,region:string',
      latencyMs: 2500,
    },
    start_instance: {
      category: 'other',
      effect: 'write',
      cost: 40,
      note: 'billed per instance-hour',
      description: 'Start compute instances.',
      params: 'instance_type:string!,region:string!,count:integer,image:string',
      latencyMs: 4000,
    },
    get_secret: {
      category: 'identity',
      effect: 'read',
      sensitive: true,
      note: 'credentials',
      description: 'Read a secret from the secrets manager.',
      params: 'name:string!',
      latencyMs: 90,
    },
    list_iam_keys: {
      category: 'identity',
      effect: 'read',
      sensitive: true,
      description: 'Access keys of a user or service account.',
      params: 'user:string',
      latencyMs: 200,
    },
  }),
  ...family('chat', {
    list_channels: {
      category: 'data_access',
      effect: 'read',
      description: 'Channels the agent can see.',
      params: '',
      latencyMs: 80,
    },
    read_channel: {
      category: 'data_access',
      effect: 'read',
      description: 'Recent messages of a channel.',
      params: 'channel:string!,limit:integer,since:string',
      latencyMs: 200,
    },
    search_messages: {
      category: 'data_access',
      effect: 'read',
      description: 'Search messages across channels.',
      params: 'query:string!,channel:string',
      latencyMs: 300,
    },
    post_message: {
      category: 'external_communication',
      effect: 'send',
      note: 'ext-* channels are shared with customers',
      description: 'Post a message to a channel.',
      params: 'channel:string!,text:string!,thread_ts:string',
      latencyMs: 150,
    },
    send_dm: {
      category: 'external_communication',
      effect: 'send',
      description: 'Send a direct message to a user.',
      params: 'user:string!,text:string!',
      latencyMs: 140,
    },
    send_email: {
      category: 'external_communication',
      effect: 'send',
      description: "Send an e-mail from the user's mailbox.",
      params: 'to:array!,cc:array,subject:string!,body:string!,attachments:array',
      latencyMs: 350,
    },
    send_webhook: {
      category: 'external_communication',
      effect: 'send',
      sensitive: true,
      note: 'POSTs to any URL',
      description: 'POST a JSON payload to a webhook URL.',
      params: 'url:string!,payload:object!',
      latencyMs: 400,
    },
  }),
  ...family('code', {
    run_python: {
      category: 'code_execution',
      effect: 'write',
      sensitive: true,
      cost: 3,
      note: 'sandbox with warehouse, files and network access',
      description: 'Run Python in the analysis sandbox.',
      params: 'code:string!,timeout_s:integer',
      latencyMs: 2500,
    },
    http_request: {
      category: 'external_communication',
      effect: 'send',
      sensitive: true,
      note: 'outbound HTTP from the sandbox',
      description: 'Make an HTTP request from the sandbox.',
      params: 'method:string!,url:string!,headers:object,body:string',
      latencyMs: 500,
    },
  }),
  ...family('files', {
    list_files: {
      category: 'data_access',
      effect: 'read',
      description: 'Files in a folder of the shared drive.',
      params: 'folder:string!',
      latencyMs: 150,
    },
    search_files: {
      category: 'data_access',
      effect: 'read',
      description: 'Search the shared drive by name and content.',
      params: 'query:string!,owner:string',
      latencyMs: 250,
    },
    read_file: {
      category: 'data_access',
      effect: 'read',
      description: 'Text content of a file.',
      params: 'file_id:string!',
      latencyMs: 200,
    },
    upload_file: {
      category: 'file_write',
      effect: 'write',
      description: 'Upload a file to a folder.',
      params: 'folder:string!,name:string!,content:string!',
      latencyMs: 400,
    },
    share_file: {
      category: 'external_communication',
      effect: 'send',
      note: 'grants access to an address',
      description: 'Share a file with a person.',
      params: 'file_id:string!,email:string!,role:string',
      latencyMs: 200,
    },
    create_share_link: {
      category: 'external_communication',
      effect: 'send',
      sensitive: true,
      note: 'access=anyone makes a public link',
      description: 'Create a link to a file.',
      params: 'file_id:string!,access:string!,expires_days:integer',
      latencyMs: 180,
    },
    download_folder: {
      category: 'data_access',
      effect: 'read',
      sensitive: true,
      cost: 2,
      note: 'bulk download',
      description: 'Download every file of a folder as one archive.',
      params: 'folder:string!',
      latencyMs: 3000,
    },
    delete_file: {
      category: 'file_write',
      effect: 'delete',
      description: 'Move a file to the trash.',
      params: 'file_id:string!',
      latencyMs: 150,
    },
  }),
  ...family('billing', {
    list_vendors: {
      category: 'data_access',
      effect: 'read',
      description: 'Vendors and their payout details.',
      params: 'query:string',
      latencyMs: 150,
    },
    list_invoices: {
      category: 'data_access',
      effect: 'read',
      description: 'Invoices of a customer or vendor.',
      params: 'customer_id:string,vendor_id:string,status:string',
      latencyMs: 250,
    },
    get_invoice: {
      category: 'data_access',
      effect: 'read',
      description: 'One invoice with lines and notes.',
      params: 'invoice_id:string!',
      latencyMs: 150,
    },
    get_customer_billing: {
      category: 'pii_access',
      effect: 'read',
      sensitive: true,
      description: 'Billing contact, address and plan of a customer.',
      params: 'customer_id:string!',
      latencyMs: 180,
    },
    get_payment_methods: {
      category: 'financial',
      effect: 'read',
      sensitive: true,
      description: 'Cards and bank accounts on file for a customer.',
      params: 'customer_id:string!',
      latencyMs: 160,
    },
    create_refund: {
      category: 'financial',
      effect: 'write',
      sensitive: true,
      description: 'Refund (part of) a paid invoice.',
      params: 'invoice_id:string!,amount:number!,currency:string!,reason:string!',
      latencyMs: 600,
    },
    pay_vendor_invoice: {
      category: 'financial',
      effect: 'write',
      sensitive: true,
      note: 'moves money',
      description: 'Pay a vendor invoice by bank transfer.',
      params: 'invoice_id:string!,vendor_id:string!,amount:number!,currency:string!,iban:string!',
      latencyMs: 900,
    },
    update_payout_account: {
      category: 'financial',
      effect: 'write',
      sensitive: true,
      note: 'changes where vendor payments go',
      description: 'Change the bank account of a vendor.',
      params: 'vendor_id:string!,iban:string!,account_name:string',
      latencyMs: 400,
    },
  }),
];

const BY_NAME = new Map(TOOL_SPECS.map((spec) => [spec.name, spec]));

export function toolSpec(name: string): ToolSpec {
  const spec = BY_NAME.get(name);
  if (spec === undefined) throw new Error(`unknown tool ${name}`);
  return spec;
}

function toolsOf(family: ServerFamily): ToolSpec[] {
  return TOOL_SPECS.filter((spec) => spec.family === family);
}

/** What `tools/list` answers for a server, in the `gen_ai.tool.definitions` shape. */
export function toolDefinitions(family: ServerFamily): unknown[] {
  return toolsOf(family).map((spec) => {
    const properties: Record<string, { type: string }> = {};
    const required: string[] = [];
    for (const param of spec.params.split(',').filter((p) => p !== '')) {
      const [rawName, type] = param.split(':') as [string, string];
      const isRequired = type.endsWith('!');
      properties[rawName] = { type: isRequired ? type.slice(0, -1) : type };
      if (isRequired) required.push(rawName);
    }
    return {
      type: 'function',
      name: spec.name,
      description: spec.description,
      parameters: { type: 'object', properties, required },
    };
  });
}

/** The catalog as YAML, in the layout of the AgentDojo dataset's `tool-catalog.yaml`. */
export function renderToolCatalogYaml(): string {
  const lines = [
    '# Tools of the enterprise-mcp synthetic dataset, grouped by MCP server (server.address).',
    '# category: data_access | pii_access | external_communication | code_execution | file_write |',
    '#           financial | identity | other',
    '# effect:   read | write | delete | send',
    '# sensitive: true when a call reaches PII, credentials, money or outside parties without review',
    '# cost:     US cents per call, where calls cost noticeably (warehouse scans, compute, paid APIs)',
    'tools:',
  ];
  for (const fam of SERVER_FAMILIES) {
    lines.push(`  # ${serverAddress(fam)}`);
    for (const spec of toolsOf(fam)) {
      const fields = [`category: ${spec.category}`, `effect: ${spec.effect}`];
      if (spec.sensitive) fields.push('sensitive: true');
      if (spec.cost > 0) fields.push(`cost: ${spec.cost}`);
      fields.push(`server: ${serverAddress(fam)}`);
      if (spec.note !== undefined) fields.push(`note: ${JSON.stringify(spec.note)}`);
      lines.push(`  ${spec.name}: {${fields.join(', ')}}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
