import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { api, type Agent, type TicketRow } from '../api/client';
import { BulkBar, bulkSummary } from './BulkBar';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const me = { id: 'me-id', name: 'Me' } as Agent;
const rows = [{ id: 't1', version: 3 }, { id: 't2', version: 7 }, { id: 't3', version: 1 }] as TicketRow[];

/** POST /tickets/bulk answering t2 as changed meanwhile and the rest as updated. */
function mockBulk() {
  const bodies: { tickets: { id: string; version?: number }[]; changes: Record<string, unknown> }[] = [];
  vi.spyOn(api, 'POST').mockImplementation((async (_path: string, init: { body: (typeof bodies)[number] }) => {
    bodies.push(init.body);
    const results = init.body.tickets.map((t) => (t.id === 't2'
      ? { id: t.id, outcome: 'conflict', status: 412, version: 8 }
      : { id: t.id, outcome: 'updated', status: 200, version: (t.version ?? 0) + 1 }));
    const count = (o: string) => results.filter((r) => r.outcome === o).length;
    return { data: { results, updated: count('updated'), conflicts: count('conflict') } };
  }) as never);
  return bodies;
}

describe('BulkBar', () => {
  it('sets the priority of the selected tickets in one bulk request carrying their versions, and sums up', async () => {
    const bodies = mockBulk();
    const onDone = vi.fn();
    render(<BulkBar me={me} tickets={rows} onDone={onDone} onClear={() => {}} />);
    fireEvent.change(screen.getByRole('combobox', { name: 'Set priority of selected' }), { target: { value: 'high' } });
    await waitFor(() => expect(onDone).toHaveBeenCalledWith('Priority high: 2 updated, 1 skipped (changed meanwhile).'));
    expect(bodies).toEqual([{ tickets: [{ id: 't1', version: 3 }, { id: 't2', version: 7 }, { id: 't3', version: 1 }], changes: { priority: 'high' } }]);
  });

  it('adds and removes the typed tag, and assigns to me', async () => {
    const bodies = mockBulk();
    const onDone = vi.fn();
    render(<BulkBar me={me} tickets={rows.slice(0, 1)} onDone={onDone} onClear={() => {}} />);
    const add = screen.getByRole('button', { name: 'Add tag' }) as HTMLButtonElement;
    expect(add.disabled).toBe(true);
    fireEvent.change(screen.getByRole('textbox', { name: 'Tag for selected' }), { target: { value: ' vip ' } });
    fireEvent.click(add);
    await waitFor(() => expect(onDone).toHaveBeenLastCalledWith('Tag added “vip”: 1 updated.'));
    // the field is emptied after a success: type it again to remove it
    expect((screen.getByRole('textbox', { name: 'Tag for selected' }) as HTMLInputElement).value).toBe('');
    fireEvent.change(screen.getByRole('textbox', { name: 'Tag for selected' }), { target: { value: 'vip' } });
    fireEvent.click(screen.getByRole('button', { name: 'Remove tag' }));
    await waitFor(() => expect(bodies).toHaveLength(2));
    // the bar ignores clicks while a request is out: wait for the answer before the next action
    await waitFor(() => expect(onDone).toHaveBeenLastCalledWith('Tag removed “vip”: 1 updated.'));
    fireEvent.click(screen.getByRole('button', { name: 'Assign to me' }));
    await waitFor(() => expect(bodies).toHaveLength(3));
    expect(bodies.map((b) => b.changes)).toEqual([{ addTags: ['vip'] }, { removeTags: ['vip'] }, { assigneeId: 'me-id' }]);
  });

  it('shows a refused request as the problem it got', async () => {
    vi.spyOn(api, 'POST').mockResolvedValue({
      error: { status: 400, code: 'request.invalid', title: 'Invalid request', detail: 'The request is not valid.', errors: [{ path: 'changes.group', message: 'No group x' }] },
    } as never);
    const onDone = vi.fn();
    render(<BulkBar me={me} tickets={rows} onDone={onDone} onClear={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Unassign' }));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith('Unassigned: The request is not valid. changes.group: No group x'));
  });

  it('counts tickets neither updated nor in conflict as refused', () => {
    const answer = {
      results: [
        { id: 'a', outcome: 'updated' as const, status: 200 }, { id: 'b', outcome: 'invalid' as const, status: 409 },
        { id: 'c', outcome: 'not_found' as const, status: 404 },
      ],
      updated: 1,
      conflicts: 0,
    };
    expect(bulkSummary('Status open', answer)).toBe('Status open: 1 updated, 2 refused (not allowed in their state, or gone).');
  });
});
