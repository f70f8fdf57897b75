import type { Db } from '../db/client.ts';
import type { AgentRole } from '../db/repositories/agents.ts';
import type { Clock } from '../platform/clock.ts';
import type { Jobs } from '../jobs/queue.ts';

/** Who performs a command: a signed-in agent (or the owner of an API token), or Triage itself. */
export interface Actor {
  type: 'agent' | 'system';
  /** agent id; null only for the system */
  id: string | null;
  name: string;
  role: AgentRole | 'system';
}

/** What every command receives: the database (or the open transaction), the clock and the actor. */
export interface Ctx {
  db: Db;
  clock: Clock;
  actor: Actor;
  /** the job queue, for side effects enqueued in the command's transaction (SLA checks, notifications) */
  jobs?: Jobs;
  /** where a command reports what it could not do after committing (the request's logger) */
  log?: { warn(obj: object, msg: string): void };
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, name: 'Triage', role: 'system' };
