/**
 * CSV export (RFC 4180: comma, CRLF, fields quoted when they hold a comma, a
 * quote or a line break). A cell a spreadsheet would run as a formula (starting
 * with = + - @ or a tab/CR) gets a leading apostrophe: ticket subjects come from
 * customers, and a CSV opened in Excel must not execute them.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NUMBER = /^-?\d+(\.\d+)?$/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.join(';') : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (FORMULA_START.test(s) && !NUMBER.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV document: the header row, then one row per record (values in header order). */
export function toCsv(headers: string[], rows: unknown[][]): string {
  return [headers, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** Reads a CSV document back into rows of strings (for tests and imports). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** The columns of a ticket list exported as CSV. */
export const TICKET_CSV_COLUMNS = [
  'number', 'subject', 'status', 'priority', 'category', 'requesterName', 'requesterEmail', 'organization', 'tier',
  'assignee', 'group', 'tags', 'source', 'channel', 'createdAt', 'updatedAt', 'resolvedAt', 'slaState',
] as const;

interface CsvTicket {
  number: number; subject: string; status: string; priority: string; category: string;
  requester: { name: string; email: string; organization: string | null; tier: string };
  assignee: { name: string } | null; assigneeGroup: string | null; tags: string[]; source: string; channel: string | null;
  createdAt: string; updatedAt: string; resolvedAt: string | null; sla: { state: string } | null;
}

/** A ticket list (as the API presents tickets) as a CSV document. */
export function ticketsCsv(tickets: CsvTicket[]): string {
  return toCsv([...TICKET_CSV_COLUMNS], tickets.map((t) => [
    t.number, t.subject, t.status, t.priority, t.category, t.requester.name, t.requester.email, t.requester.organization, t.requester.tier,
    t.assignee?.name ?? null, t.assigneeGroup, t.tags, t.source, t.channel, t.createdAt, t.updatedAt, t.resolvedAt, t.sla?.state ?? null,
  ]));
}
