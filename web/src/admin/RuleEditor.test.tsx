import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { api } from '../api/client';
import { RuleEditor } from './RuleEditor';
import { reorder, ruleBody, ruleDraft } from './rules';
import type { AgentRow, GroupRow, Rule } from './types';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const agents = [{ id: '11111111-1111-4111-8111-111111111111', name: 'Bo Agent' }] as AgentRow[];
const groups = [{ slug: 'billing', name: 'Billing' }, { slug: 'tech', name: 'Technical' }] as GroupRow[];
const stored: Rule = {
  id: '22222222-2222-4222-8222-222222222222', name: 'VIP', position: 10, isActive: true, createdAt: '', updatedAt: '',
  conditions: { tiers: ['enterprise'], tags: ['vip', 'urgent'] }, action: { type: 'specific_agent', agentId: agents[0].id },
};

/** Captures what the editor sends (POST or PATCH) and answers with the rule. */
function mockWrite(method: 'POST' | 'PATCH', answer: unknown = { data: stored }) {
  const sent: { path: string; init: { body: unknown; params?: unknown } }[] = [];
  vi.spyOn(api, method).mockImplementation((async (path: string, init: { body: unknown }) => {
    sent.push({ path, init });
    return answer;
  }) as never);
  return sent;
}

const type = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('RuleEditor', () => {
  it('sends only the conditions given and the action fields its type uses', async () => {
    const sent = mockWrite('POST');
    const onSaved = vi.fn();
    render(<RuleEditor rule={null} agents={agents} groups={groups} onSaved={onSaved} onClose={() => undefined} />);
    type('Rule name', 'Billing first');
    type('Categories', ' billing, invoices ,, ');
    type('Keywords in subject or description (any)', 'refund');
    fireEvent.click(within(screen.getByRole('group', { name: 'Priorities' })).getByLabelText('high'));
    fireEvent.click(within(screen.getByRole('group', { name: 'Requester tiers' })).getByLabelText('premium'));
    // an agent chosen under specific_agent is dropped once the type no longer uses it
    fireEvent.change(screen.getByLabelText('Assign to'), { target: { value: 'specific_agent' } });
    fireEvent.change(screen.getByLabelText('Agent'), { target: { value: agents[0].id } });
    fireEvent.change(screen.getByLabelText('Assign to'), { target: { value: 'group_least_busy' } });
    expect(screen.queryByLabelText('Agent')).toBeNull();
    fireEvent.change(screen.getByLabelText('Group'), { target: { value: 'billing' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create rule' }));
    await screen.findByText('Rule created.');
    expect(sent).toHaveLength(1);
    expect(sent[0].path).toBe('/api/v1/assignment-rules');
    expect(sent[0].init.body).toEqual({
      name: 'Billing first', isActive: true,
      conditions: { categories: ['billing', 'invoices'], keywords: ['refund'], priorities: ['high'], tiers: ['premium'] },
      action: { type: 'group_least_busy', group: 'billing' },
    });
    expect(onSaved).toHaveBeenCalledWith(stored);
  });

  it('edits a stored rule: its conditions shown, a PATCH with skills for skill_based and an empty condition list dropped', async () => {
    const sent = mockWrite('PATCH');
    render(<RuleEditor rule={stored} agents={agents} groups={groups} onSaved={() => undefined} onClose={() => undefined} />);
    expect((screen.getByLabelText('Tags (any)') as HTMLInputElement).value).toBe('vip, urgent');
    expect((within(screen.getByRole('group', { name: 'Requester tiers' })).getByLabelText('enterprise') as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText('Agent') as HTMLSelectElement).value).toBe(agents[0].id);
    type('Tags (any)', '  ');
    fireEvent.change(screen.getByLabelText('Assign to'), { target: { value: 'skill_based' } });
    type('Required skills', 'sql, billing');
    fireEvent.click(screen.getByRole('button', { name: 'Save rule' }));
    await screen.findByText('Saved.');
    expect(sent[0].path).toBe('/api/v1/assignment-rules/{id}');
    expect(sent[0].init.params).toEqual({ path: { id: stored.id } });
    expect(sent[0].init.body).toEqual({
      name: 'VIP', isActive: true, conditions: { tiers: ['enterprise'] }, action: { type: 'skill_based', skills: ['sql', 'billing'] },
    });
  });

  it('shows each server error beside its field and the ones no field shows beside the button', async () => {
    mockWrite('POST', {
      error: {
        status: 400, code: 'request.invalid', title: 'Invalid request', detail: 'The request body is not valid.',
        errors: [
          { path: 'name', message: 'Too small: expected string to have >=1 characters' },
          { path: 'action.group', message: 'No group "nope"' },
          { path: 'conditions.priorities.0', message: 'Invalid option' },
          { path: 'position', message: 'Too big' },
        ],
      },
    });
    render(<RuleEditor rule={null} agents={agents} groups={groups} onSaved={() => undefined} onClose={() => undefined} />);
    fireEvent.change(screen.getByLabelText('Assign to'), { target: { value: 'group' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create rule' }));
    const alert = await screen.findByRole('alert');
    const name = screen.getByLabelText('Rule name');
    await waitFor(() => expect(name.getAttribute('aria-invalid')).toBe('true'));
    expect(document.getElementById(name.getAttribute('aria-describedby')!)!.textContent).toBe('Too small: expected string to have >=1 characters');
    const group = screen.getByLabelText('Group');
    expect(group.getAttribute('aria-invalid')).toBe('true');
    expect(group.closest('.field')!.querySelector('.field-error')!.textContent).toBe('No group "nope"');
    // a nested path lands on the list it belongs to
    expect(screen.getByRole('group', { name: 'Priorities' }).querySelector('.field-error')!.textContent).toBe('0: Invalid option');
    expect(screen.getByLabelText('Categories').getAttribute('aria-invalid')).toBeNull();
    // the form-level message lists only what no field showed
    expect(alert.textContent).toContain('The request body is not valid.');
    expect(within(alert).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['position: Too big']);
  });
});

describe('rule drafts and order', () => {
  it('a stored rule round-trips through the editor unchanged', () => {
    expect(ruleBody(ruleDraft(stored))).toEqual({ name: 'VIP', isActive: true, conditions: stored.conditions, action: stored.action });
  });

  it('moving a rule renumbers by tens and returns only the rules whose position changes', () => {
    const rules = [{ id: 'a', position: 10 }, { id: 'b', position: 20 }, { id: 'c', position: 30 }];
    expect(reorder(rules, 2, -1)).toEqual([{ id: 'c', position: 20 }, { id: 'b', position: 30 }]);
    expect(reorder(rules, 0, -1)).toEqual([]);
    expect(reorder(rules, 2, 1)).toEqual([]);
    // equal or sparse positions become a strict order
    expect(reorder([{ id: 'a', position: 1 }, { id: 'b', position: 1 }], 0, 1)).toEqual([{ id: 'b', position: 10 }, { id: 'a', position: 20 }]);
  });
});
