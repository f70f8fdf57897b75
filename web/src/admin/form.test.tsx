import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { asProblem, ConfirmButton, Field, FieldErrors, LoadProblem } from './form';

afterEach(cleanup);

const problem = (errors: { path: string; message: string }[]) => ({ status: 400, code: 'request.invalid', title: 'Invalid request', errors });

describe('FieldErrors', () => {
  it('gives a field the errors at its path and below it, and leaves the rest unclaimed', () => {
    const e = new FieldErrors(problem([
      { path: 'hours.mon.0.1', message: 'time must be HH:MM' },
      { path: 'hours', message: 'the week has no opening hours' },
      { path: 'hoursExtra', message: 'Unknown field' },
      { path: 'name', message: 'Required' },
    ]));
    expect(e.at('hours.mon')).toBe('0.1: time must be HH:MM');
    // exact: only the path itself (the day above already showed its own)
    expect(e.at('hours', true)).toBe('the week has no opening hours');
    // a prefix of the name is not a parent path
    expect(e.unclaimed()).toEqual([{ path: 'hoursExtra', message: 'Unknown field' }, { path: 'name', message: 'Required' }]);
    expect(e.at('name')).toBe('Required');
    expect(e.unclaimed().map((x) => x.path)).toEqual(['hoursExtra']);
    expect(new FieldErrors(null).at('name')).toBeUndefined();
  });

  it('turns a network failure into a problem with a title', () => {
    expect(asProblem(new TypeError('Failed to fetch'))).toMatchObject({ status: 0, code: 'network', title: 'The server could not be reached.' });
    expect(asProblem({ title: 'Forbidden', status: 403, code: 'auth.forbidden' })).toMatchObject({ status: 403, title: 'Forbidden' });
  });
});

describe('form widgets', () => {
  it('a field with an error is invalid and described by the message and the hint', () => {
    render(<Field label="Slug" hint="optional" error="Lower-case letters"><input /></Field>);
    const input = screen.getByLabelText('Slug');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    const ids = input.getAttribute('aria-describedby')!.split(' ');
    expect(ids.map((id) => document.getElementById(id)!.textContent)).toEqual(['Lower-case letters', 'optional']);
  });

  it('a 403 on load says the role may not see it', () => {
    render(<LoadProblem problem={{ status: 403, code: 'auth.forbidden', title: 'Forbidden', detail: 'Only admins manage the e-mail channel.' }} what="mailboxes" />);
    expect(screen.getByRole('alert').textContent).toBe('Your role may not see mailboxes. Only admins manage the e-mail channel.');
  });

  it('a destructive button asks in place before it acts', () => {
    let done = 0;
    render(<ConfirmButton label="Revoke" what="CRM sync" onConfirm={() => void done++} />);
    fireEvent.click(screen.getByRole('button', { name: 'Revoke CRM sync' }));
    expect(done).toBe(0);
    fireEvent.click(screen.getByRole('button', { name: 'No' }));
    expect(screen.getByRole('button', { name: 'Revoke CRM sync' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Revoke CRM sync' }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes, revoke' }));
    expect(done).toBe(1);
  });
});
