import type { Workflow } from '../workflow.js';
import { billingWorkflows } from './billing.js';
import { chatWorkflows } from './chat.js';
import { cloudWorkflows } from './cloud.js';
import { codeWorkflows } from './code.js';
import { crmWorkflows } from './crm.js';
import { dbWorkflows } from './db.js';
import { docsWorkflows } from './docs.js';
import { fileWorkflows } from './files.js';
import { generalWorkflows } from './general.js';
import { ticketWorkflows } from './tickets.js';

export const WORKFLOWS: readonly Workflow[] = [
  ...dbWorkflows,
  ...crmWorkflows,
  ...ticketWorkflows,
  ...docsWorkflows,
  ...cloudWorkflows,
  ...chatWorkflows,
  ...codeWorkflows,
  ...fileWorkflows,
  ...billingWorkflows,
  ...generalWorkflows,
];
