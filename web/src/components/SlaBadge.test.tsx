import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import type { Sla } from '../api/client';
import { SlaBadge, slaSummary } from './SlaBadge';

afterEach(cleanup);

const NOW = new Date('2026-11-30T10:00:00Z');
const minutes = (m: number) => new Date(NOW.getTime() + m * 60_000).toISOString();

type Target = Sla['targets'][number];
function target(over: Partial<Target>): Target {
  return { target: 'first_response', startedAt: minutes(-60), dueAt: minutes(60), warnAt: null, remainingBusinessMinutes: 60, status: 'ok', metAt: null, ...over };
}
function sla(targets: Target[], over: Partial<Sla> = {}): Sla {
  return {
    policyId: 'p', policyName: 'Standard', responseDue: null, resolutionDue: null, responseMet: null, resolutionMet: null,
    paused: false, state: 'ok', targets, ...over,
  };
}

describe('slaSummary', () => {
  it('counts down to the earliest open target', () => {
    const s = slaSummary(sla([target({ target: 'resolution', dueAt: minutes(600) }), target({ dueAt: minutes(135) })]), NOW);
    expect(s).toMatchObject({ level: 'ok', target: 'first_response', label: '2h 15m left', remainingMs: 135 * 60_000 });
  });

  it('skips met targets', () => {
    const s = slaSummary(sla([target({ status: 'met', dueAt: minutes(5), metAt: minutes(-5) }), target({ target: 'resolution', dueAt: minutes(3 * 1440 + 60) })]), NOW);
    expect(s).toMatchObject({ target: 'resolution', label: '3d 1h left' });
  });

  it('says at risk when the server does', () => {
    expect(slaSummary(sla([target({ status: 'at_risk', dueAt: minutes(20) })], { state: 'at_risk' }), NOW)).toMatchObject({ level: 'at_risk', label: '20m left' });
  });

  it('turns breached once the due time passes, before the server has said so', () => {
    expect(slaSummary(sla([target({ status: 'at_risk', dueAt: minutes(-65) })], { state: 'at_risk' }), NOW)).toMatchObject({ level: 'breached', label: '1h 05m overdue' });
  });

  it('keeps a breach even when another target is still ahead', () => {
    const s = slaSummary(sla([target({ dueAt: minutes(30) }), target({ target: 'resolution', status: 'breached', dueAt: minutes(90) })], { state: 'breached' }), NOW);
    expect(s.level).toBe('breached');
  });

  it('handles no SLA, paused and all met', () => {
    expect(slaSummary(null, NOW).level).toBe('none');
    expect(slaSummary(sla([target({})], { paused: true, state: 'paused' }), NOW).level).toBe('paused');
    expect(slaSummary(sla([target({ status: 'met', metAt: minutes(-1) })], { state: 'met' }), NOW).level).toBe('met');
  });
});

describe('SlaBadge', () => {
  it('renders the level as a class and the countdown as text, with an accessible description', () => {
    render(<SlaBadge sla={sla([target({ status: 'at_risk', dueAt: minutes(20) })], { state: 'at_risk' })} now={NOW} />);
    const badge = screen.getByLabelText(/^SLA At risk: first response due/);
    expect(badge.className).toBe('sla sla-at_risk');
    expect(badge.textContent).toBe('20m left');
  });

  it('re-renders to breached when time moves on', () => {
    const s = sla([target({ dueAt: minutes(1) })]);
    const { rerender, container } = render(<SlaBadge sla={s} now={NOW} />);
    expect(container.querySelector('[data-sla]')!.getAttribute('data-sla')).toBe('ok');
    rerender(<SlaBadge sla={s} now={new Date(NOW.getTime() + 3 * 60_000)} />);
    expect(container.querySelector('[data-sla]')!.getAttribute('data-sla')).toBe('breached');
    expect(container.textContent).toBe('2m overdue');
  });
});
