import type { Ctx } from '../context.ts';
import { Errors, type FieldError } from '../errors.ts';
import { can, require } from '../auth/policies.ts';
import { digest, hashPassword } from '../auth/secrets.ts';
import { deleteSessionsOfAgent } from '../../db/repositories/auth.ts';
import {
  getAgent, groupIdsBySlug, insertAgent, lockActiveAdmins, insertGroup, setAgentGroups, setPassword, updateAgent as updateAgentRow,
  updateGroup as updateGroupRow, getGroupBySlug, type AgentRole, type AgentRow, type GroupRow, type Presence,
} from '../../db/repositories/agents.ts';
import {
  findOrCreateOrganization, getRequester, insertOrganization, updateOrganization as updateOrganizationRow,
  updateRequester as updateRequesterRow, type OrganizationRow, type RequesterRow, type Tier,
} from '../../db/repositories/people.ts';
import { getSetting } from '../../db/repositories/routing.ts';
import { drainAfterCommit, returnTicketsToQueue } from '../routing/engine.ts';
import { refreshSla } from '../sla/engine.ts';
import { openTicketsOfRequesters } from '../../db/repositories/sla-state.ts';
import { DEFAULT_ROUTING_SETTINGS, withDefaults } from '../routing/settings.ts';
import { SYSTEM_ACTOR } from '../context.ts';

export interface AgentInput {
  name: string;
  email: string;
  role?: AgentRole;
  groups?: string[];
  skills?: string[];
  maxConcurrentTickets?: number;
  status?: Presence;
  password?: string;
}

/**
 * Group ids for slugs, in order and without duplicates. An unknown slug is a
 * 400 naming its position in the request (`groups.2`), duplicates counted.
 */
async function resolveGroups(db: Ctx['db'], slugs: string[]): Promise<string[]> {
  const unique = [...new Set(slugs)];
  const ids = await groupIdsBySlug(db, unique);
  const errors: FieldError[] = slugs
    .map((slug, i) => ({ slug, i }))
    .filter(({ slug }) => !ids.has(slug))
    .map(({ slug, i }) => ({ path: `groups.${i}`, message: `No group with slug "${slug}"` }));
  if (errors.length) throw Errors.validation(errors, 'Unknown group.');
  return unique.map((s) => ids.get(s)!);
}

const emailTaken = (email: string) =>
  Errors.conflict('agent.email_taken', `An agent with e-mail ${email} exists.`, [{ path: 'email', message: 'already taken' }]);

const normalizeSkills = (skills: string[]) => [...new Set(skills.map((s) => s.trim().toLowerCase()).filter(Boolean))];

/** Only admins create agents. The e-mail must be free (409 otherwise). */
export async function createAgent(ctx: Ctx, input: AgentInput): Promise<AgentRow> {
  require(can.administer(ctx.actor), 'Only admins create agents.');
  const passwordHash = input.password ? await hashPassword(input.password) : undefined;
  return ctx.db.transaction(async (db) => {
    const now = ctx.clock.now();
    const groupIds = await resolveGroups(db, input.groups ?? []);
    const id = await insertAgent(
      db,
      {
        name: input.name,
        email: input.email,
        role: input.role ?? 'agent',
        skills: normalizeSkills(input.skills ?? []),
        maxConcurrentTickets: input.maxConcurrentTickets ?? 5,
        status: input.status ?? 'offline',
      },
      now,
    );
    if (!id) throw emailTaken(input.email);
    await setAgentGroups(db, id, groupIds);
    if (passwordHash) await setPassword(db, id, passwordHash, now);
    return (await getAgent(db, id))!;
  }).then(async (agent) => {
    if (agent.status !== 'online') return agent;
    // An agent created online takes waiting tickets at once, like one coming online.
    return (await drainAfterCommit(ctx, agent.id)).length ? (await getAgent(ctx.db, agent.id))! : agent;
  });
}

/**
 * Changes an agent. Agents may change their own name, status and password;
 * supervisors also groups, skills and capacity of agents; only admins roles and e-mails.
 */
export async function updateAgent(
  ctx: Ctx,
  id: string,
  patch: Partial<AgentInput> & { active?: boolean },
  opts: { currentSessionToken?: string } = {},
): Promise<AgentRow> {
  const passwordHash = patch.password ? await hashPassword(patch.password) : undefined;
  let drain = false;
  const updated = await ctx.db.transaction(async (db) => {
    const target = await getAgent(db, id);
    if (!target) throw Errors.notFound('agent', id);
    require(can.editAgent(ctx.actor, target), 'You may not change this agent.');
    const self = ctx.actor.id === id;
    const privileged = can.supervise(ctx.actor) && !(self && ctx.actor.role !== 'admin');
    if ((patch.groups || patch.skills || patch.maxConcurrentTickets !== undefined) && !privileged) {
      throw Errors.forbidden('Only supervisors and admins change groups, skills and capacity.');
    }
    if ((patch.role !== undefined || patch.email !== undefined) && !can.administer(ctx.actor)) {
      throw Errors.forbidden('Only admins change roles and e-mail addresses.');
    }
    if (patch.password && !self && !can.administer(ctx.actor)) throw Errors.forbidden('Only admins set other agents’ passwords.');
    if (patch.active !== undefined && patch.active !== target.active && !can.administer(ctx.actor)) {
      throw Errors.forbidden('Only admins deactivate and reactivate agents.');
    }
    const deactivating = patch.active === false && target.active;
    if (target.role === 'admin' && ((patch.role !== undefined && patch.role !== 'admin') || deactivating)) {
      // Locks every admin row, so two admins demoting each other at once cannot both succeed.
      const admins = await lockActiveAdmins(db);
      if (admins.filter((a) => a !== id).length === 0) {
        throw Errors.conflict('agent.last_admin', 'This is the only admin; make another agent an admin first.', [{ path: deactivating ? 'active' : 'role', message: 'last admin' }]);
      }
    }
    const now = ctx.clock.now();
    const updated = await updateAgentRow(
      db,
      id,
      {
        name: patch.name,
        email: patch.email,
        role: patch.role,
        skills: patch.skills ? normalizeSkills(patch.skills) : undefined,
        maxConcurrentTickets: patch.maxConcurrentTickets,
        // a deactivated agent is offline: never routed, not shown as available
        status: deactivating ? 'offline' : patch.status,
        active: patch.active,
      },
      now,
    );
    // the unique index decides, also against a concurrent request taking the same e-mail
    if (updated === 'email_taken') throw emailTaken(patch.email!);
    if (patch.groups) await setAgentGroups(db, id, await resolveGroups(db, patch.groups));
    if (passwordHash) {
      await setPassword(db, id, passwordHash, now);
      // A new password signs the agent out everywhere else (a stolen session dies with the old password).
      const keep = ctx.actor.id === id && opts.currentSessionToken ? digest(opts.currentSessionToken) : null;
      await deleteSessionsOfAgent(db, id, keep);
    }
    if (deactivating) {
      // gone: signed out everywhere (sessions; tokens are refused while inactive), and their open
      // tickets go back to their queues, where routing gives them to someone else
      await deleteSessionsOfAgent(db, id, null);
      await returnTicketsToQueue(db, now, id, SYSTEM_ACTOR);
    }
    const after = (await getAgent(db, id))!;
    drain = routingMayHaveWork(target, after);
    if (!deactivating && target.status !== 'offline' && after.status === 'offline') {
      const routing = withDefaults(DEFAULT_ROUTING_SETTINGS, await getSetting(db, 'routing'));
      if (routing.returnTicketsOnOffline && routing.enabled) await returnTicketsToQueue(db, now, id, SYSTEM_ACTOR);
    }
    return after;
  });
  // Coming online, more capacity, new groups or skills: take waiting tickets at once.
  if (drain && (await drainAfterCommit(ctx, id)).length) return (await getAgent(ctx.db, id))!;
  return updated;
}

/** True when a change to an online agent may let them take waiting tickets. */
function routingMayHaveWork(before: AgentRow, after: AgentRow): boolean {
  if (after.status !== 'online' || !after.active) return false;
  return (
    before.status !== 'online' ||
    after.max_concurrent_tickets > before.max_concurrent_tickets ||
    after.groups.some((g) => !before.groups.includes(g)) ||
    after.skills.some((s) => !before.skills.includes(s))
  );
}



/** A slug from a display name: "Billing & Payments" → "billing-payments". */
export function slugify(name: string): string {
  return name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9_]+/g, '-').replace(/^[-_]+|-+$/g, '').slice(0, 100);
}

/** Creates a group; its slug (the name used everywhere) is given or derived from the name. */
export async function createGroup(ctx: Ctx, g: { slug?: string; name: string; description?: string }): Promise<GroupRow> {
  require(can.administer(ctx.actor), 'Only admins create groups.');
  const slug = g.slug ?? slugify(g.name);
  if (!slug) throw Errors.validation([{ path: 'name', message: 'Needs at least one letter or digit (or give a slug)' }]);
  const id = await insertGroup(ctx.db, { ...g, slug }, ctx.clock.now());
  if (!id) throw Errors.conflict('group.slug_taken', `A group with slug ${slug} exists.`, [{ path: g.slug ? 'slug' : 'name', message: 'already taken' }]);
  return (await getGroupBySlug(ctx.db, slug))!;
}

export async function updateGroup(ctx: Ctx, slug: string, patch: { name?: string; description?: string | null }): Promise<GroupRow> {
  require(can.supervise(ctx.actor), 'Only supervisors and admins change groups.');
  if (!(await updateGroupRow(ctx.db, slug, patch, ctx.clock.now()))) throw Errors.notFound('group', slug);
  return (await getGroupBySlug(ctx.db, slug))!;
}

/**
 * Changes a requester's name, phone, organization (by name, created if new) or own tier;
 * `emailBouncing: false` clears the bouncing mark a bounce set, so mail goes to them again.
 */
export async function updateRequester(
  ctx: Ctx,
  id: string,
  patch: { name?: string; phone?: string | null; organization?: string | null; tier?: Tier | null; emailBouncing?: false },
): Promise<RequesterRow> {
  require(can.workTickets(ctx.actor));
  return ctx.db.transaction(async (db) => {
    const now = ctx.clock.now();
    let organizationId: string | null | undefined;
    if (patch.organization !== undefined) {
      organizationId = patch.organization === null ? null : (await findOrCreateOrganization(db, patch.organization, now)).id;
    }
    const before = await getRequester(db, id);
    const found = await updateRequesterRow(db, id, { name: patch.name, phone: patch.phone, organizationId, tier: patch.tier, clearBouncing: patch.emailBouncing === false }, now);
    if (!found) throw Errors.notFound('requester', id);
    const after = (await getRequester(db, id))!;
    // SLA policies match on tier and organization: their open tickets pick their policy again
    if (before && (before.effective_tier !== after.effective_tier || before.organization_id !== after.organization_id)) {
      await rematchSlaOf({ ...ctx, db }, { requesterId: id }, now);
    }
    return after;
  });
}

/** Re-evaluates the SLA policy of the open tickets of a requester or of an organization's requesters. */
async function rematchSlaOf(ctx: Ctx, who: { requesterId?: string; organizationId?: string }, now: Date): Promise<void> {
  for (const ticketId of await openTicketsOfRequesters(ctx.db, who)) {
    await refreshSla({ db: ctx.db, now, jobs: ctx.jobs, actor: ctx.actor }, ticketId, { rematch: true });
  }
}

const organizationNameTaken = (name: string) =>
  Errors.conflict('organization.name_taken', `An organization named ${name} exists.`, [{ path: 'name', message: 'already taken' }]);

export async function createOrganization(ctx: Ctx, o: { name: string; tier?: Tier }): Promise<OrganizationRow> {
  require(can.supervise(ctx.actor), 'Only supervisors and admins create organizations.');
  const row = await insertOrganization(ctx.db, { name: o.name, tier: o.tier ?? 'standard' }, ctx.clock.now());
  if (!row) throw organizationNameTaken(o.name);
  return row;
}

export async function updateOrganization(ctx: Ctx, id: string, patch: { name?: string; tier?: Tier }): Promise<OrganizationRow> {
  require(can.supervise(ctx.actor), 'Only supervisors and admins change organizations.');
  return ctx.db.transaction(async (db) => {
    const now = ctx.clock.now();
    const updated = await updateOrganizationRow(db, id, patch, now);
    if (updated === 'name_taken') throw organizationNameTaken(patch.name!);
    if (!updated) throw Errors.notFound('organization', id);
    if (patch.tier !== undefined || patch.name !== undefined) await rematchSlaOf({ ...ctx, db }, { organizationId: id }, now);
    return updated;
  });
}
