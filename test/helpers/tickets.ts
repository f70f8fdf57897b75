import { expect } from 'vitest';
import type { TicketStatus } from '../../src/domain/tickets/lifecycle.ts';
import { ticketBody, type TestAgent, type TestApp } from './app.ts';

/** The ticket as the API returns it (the fields the tests look at). */
export interface TicketJson {
  id: string;
  number: number;
  status: TicketStatus;
  priority: string;
  version: number;
  resolvedAt: string | null;
  closedAt: string | null;
  createdAt: string;
  updatedAt: string;
  assignee: { id: string; name: string } | null;
  assigneeGroup: string | null;
  [key: string]: unknown;
}

export interface HistoryJson {
  id: string;
  changeType: string;
  field: string | null;
  changedBy: string | null;
  changedByName: string | null;
  actorType: string;
  changedFrom: Record<string, unknown> | null;
  changedTo: Record<string, unknown> | null;
  comment: string | null;
  createdAt: string;
}

/** PATCH {status} steps that bring a `new` ticket to each status. */
export const PATH_FROM_NEW: Record<TicketStatus, TicketStatus[]> = {
  new: [],
  open: ['open'],
  in_progress: ['in_progress'],
  pending: ['pending'],
  resolved: ['resolved'],
  closed: ['resolved', 'closed'],
  cancelled: ['cancelled'],
};

/** Creates a ticket through POST /tickets (asserting 201) and returns its JSON. */
export async function openTicket(t: TestApp, over: Record<string, unknown> = {}, as?: TestAgent): Promise<TicketJson> {
  const res = await t.request('POST', '/api/v1/tickets', { body: ticketBody(over), as });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** A new ticket moved (by the admin) to `status`. */
export async function ticketIn(t: TestApp, status: TicketStatus, over: Record<string, unknown> = {}): Promise<TicketJson> {
  let ticket = await openTicket(t, over);
  for (const step of PATH_FROM_NEW[status]) ticket = await patch(t, ticket.id, { status: step });
  expect(ticket.status).toBe(status);
  return ticket;
}

/** PATCH /tickets/:id, asserting 200. */
export async function patch(t: TestApp, id: string, body: Record<string, unknown>, as?: TestAgent): Promise<TicketJson> {
  const res = await t.request('PATCH', `/api/v1/tickets/${id}`, { body, as });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** GET /tickets/:id (asserting 200). */
export async function getTicket(t: TestApp, ref: string | number): Promise<TicketJson & { comments: Array<Record<string, unknown>> }> {
  const res = await t.request('GET', `/api/v1/tickets/${ref}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** GET /tickets/:id/history, oldest first. */
export async function historyOf(t: TestApp, id: string): Promise<HistoryJson[]> {
  const res = await t.request('GET', `/api/v1/tickets/${id}/history`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().history;
}

export { expectProblem } from './problems.ts';
