import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { api } from '../api/client';
import { SlaPage } from './SlaPage';
import { blankSla, humanMinutes, slaBody, slaDraft } from './sla';
import type { SlaPolicy } from './types';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const calendar = { id: '33333333-3333-4333-8333-333333333333', name: 'Office', timezone: 'Europe/Berlin', hours: {}, holidays: [], createdAt: '', updatedAt: '' };
const gold: SlaPolicy = {
  id: '44444444-4444-4444-8444-444444444444', name: 'Gold', position: 1, isActive: true, conditions: { priorities: ['high'] }, calendarId: calendar.id,
  firstResponseMinutes: 60, nextResponseMinutes: 240, resolutionMinutes: 1440, targetsByPriority: { high: { firstResponseMinutes: 15, nextResponseMinutes: null } },
  warnAtPercent: 75, escalation: { notify: true }, createdAt: '', updatedAt: '',
};

function mockApi(answer: unknown) {
  vi.spyOn(api, 'GET').mockImplementation((async (path: string) => {
    if (path === '/api/v1/sla-policies') return { data: { policies: [gold] } };
    if (path === '/api/v1/calendars') return { data: { calendars: [calendar] } };
    return { data: { groups: [{ slug: 'billing', name: 'Billing' }] } };
  }) as never);
  const sent: unknown[] = [];
  vi.spyOn(api, 'POST').mockImplementation((async (_path: string, init: { body: unknown }) => {
    sent.push(init.body);
    return answer;
  }) as never);
  return sent;
}

const set = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('SLA targets form', () => {
  it('sends the defaults, a blank next response as null, and per-priority overrides only where minutes are given', async () => {
    const sent = mockApi({ data: { ...gold, id: '55555555-5555-4555-8555-555555555555', name: 'Silver' } });
    render(<SlaPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'New SLA policy' }));
    const form = screen.getByRole('form', { name: 'New SLA policy' });
    set('Policy name', 'Silver');
    set('Default first response minutes', '90');
    expect(within(form).getByText('1h 30m')).toBeTruthy();
    set('Default resolution minutes', '2880');
    set('critical first response minutes', '15');
    set('critical resolution minutes', '240');
    set('low next response minutes', '600');
    fireEvent.change(within(form).getByLabelText('Calendar'), { target: { value: calendar.id } });
    fireEvent.change(within(form).getByLabelText('Move to group'), { target: { value: 'billing' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Create policy' }));
    await screen.findByText('SLA policy created.');
    expect(sent).toEqual([{
      name: 'Silver', isActive: true, calendarId: calendar.id, conditions: {},
      firstResponseMinutes: 90, nextResponseMinutes: null, resolutionMinutes: 2880, warnAtPercent: 80,
      targetsByPriority: { critical: { firstResponseMinutes: 15, resolutionMinutes: 240 }, low: { nextResponseMinutes: 600 } },
      escalation: { notify: true, raisePriority: false, moveToGroup: 'billing' },
    }]);
  });

  it('shows a target error in its cell and a missing default beside the default', async () => {
    mockApi({
      error: {
        status: 400, code: 'request.invalid', title: 'Invalid request', detail: 'The request body is not valid.',
        errors: [
          { path: 'targetsByPriority.high.resolutionMinutes', message: 'Too small: expected number to be >=1' },
          { path: 'firstResponseMinutes', message: 'Invalid input: expected number, received undefined' },
        ],
      },
    });
    render(<SlaPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'New SLA policy' }));
    set('Policy name', 'Broken');
    set('Default first response minutes', '');
    set('high resolution minutes', '0');
    fireEvent.click(screen.getByRole('button', { name: 'Create policy' }));
    const high = screen.getByLabelText('high resolution minutes');
    expect((await screen.findByText('Too small: expected number to be >=1')).closest('td')).toBe(high.closest('td'));
    expect(high.getAttribute('aria-invalid')).toBe('true');
    const first = screen.getByLabelText('Default first response minutes');
    expect(first.getAttribute('aria-invalid')).toBe('true');
    expect(first.closest('td')!.querySelector('.field-error')!.textContent).toMatch(/expected number/);
    expect(screen.getByLabelText('critical resolution minutes').getAttribute('aria-invalid')).toBeNull();
    // both were shown in place: the form-level message lists nothing more
    expect(within(screen.getByRole('alert')).queryAllByRole('listitem')).toHaveLength(0);
  });
});

describe('SLA drafts', () => {
  it('a stored policy fills the table, and saving it unchanged sends the same targets', () => {
    const d = slaDraft(gold);
    // "no next response for high" (null) shows as the word none, and is sent back as null
    expect(d.byPriority.high).toEqual({ firstResponseMinutes: '15', nextResponseMinutes: 'none', resolutionMinutes: '' });
    const body = slaBody(d);
    expect(body).toMatchObject({ calendarId: calendar.id, firstResponseMinutes: 60, nextResponseMinutes: 240, resolutionMinutes: 1440, warnAtPercent: 75 });
    expect(body.targetsByPriority).toEqual(gold.targetsByPriority);
    expect(body.conditions).toEqual({ priorities: ['high'] });
  });

  it('a blank form asks for 24×7 and leaves a blank required target out for the server to name', () => {
    const body = slaBody({ ...blankSla(), defaults: { firstResponseMinutes: '', nextResponseMinutes: '', resolutionMinutes: '60' } });
    expect(body.calendarId).toBeNull();
    expect('firstResponseMinutes' in body && body.firstResponseMinutes !== undefined).toBe(false);
    // text that is no number goes as typed (NaN would be JSON null, silently "no target")
    expect(slaBody({ ...blankSla(), defaults: { firstResponseMinutes: '1h', nextResponseMinutes: '', resolutionMinutes: '60' } }).firstResponseMinutes).toBe('1h');
    expect(humanMinutes('1530')).toBe('1d 1h 30m');
    expect(humanMinutes('')).toBe('');
  });
});
