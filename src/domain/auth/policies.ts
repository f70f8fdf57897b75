import type { Actor } from '../context.ts';
import { Errors } from '../errors.ts';

/**
 * Who may do what, in one place (STYLE.md habit 3). Each returns a boolean;
 * `require` turns a false into the 403 problem.
 */
export const can = {
  /** Every staff role works tickets. */
  workTickets: (a: Actor) => a.type === 'system' || ['agent', 'supervisor', 'admin'].includes(a.role),
  /** Only admins create agents, change roles or deactivate. */
  administer: (a: Actor) => a.type === 'system' || a.role === 'admin',
  /** Supervisors and admins manage groups, skills, capacity and presence of others. */
  supervise: (a: Actor) => a.type === 'system' || a.role === 'admin' || a.role === 'supervisor',
  /** An agent edits their own profile; supervisors edit agents; admins everyone. */
  editAgent: (a: Actor, target: { id: string; role: string }) =>
    a.id === target.id || a.role === 'admin' || (a.role === 'supervisor' && target.role === 'agent'),
  /** API tokens: your own; admins may also revoke anyone's. */
  manageToken: (a: Actor, token: { agent_id: string }) => a.id === token.agent_id || a.role === 'admin',
};

export function require(allowed: boolean, detail?: string): void {
  if (!allowed) throw Errors.forbidden(detail);
}
