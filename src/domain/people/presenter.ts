import type { AgentRow, GroupRow } from '../../db/repositories/agents.ts';
import type { GroupLoadRow } from '../../db/repositories/routing.ts';
import type { OrganizationRow, RequesterRow } from '../../db/repositories/people.ts';

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

/** The seed's Agent interface; `currentTickets` is counted, not stored. */
export function presentAgent(a: AgentRow) {
  return {
    id: a.id,
    name: a.name,
    email: a.email,
    role: a.role,
    groups: a.groups ?? [],
    skills: a.skills ?? [],
    maxConcurrentTickets: a.max_concurrent_tickets,
    currentTickets: a.current_tickets ?? 0,
    status: a.status,
    active: a.active,
    lastActiveAt: iso(a.last_active_at),
    createdAt: iso(a.created_at)!,
    updatedAt: iso(a.updated_at)!,
  };
}

export function presentRequester(r: RequesterRow) {
  return {
    id: r.id,
    name: r.name,
    email: r.email,
    phone: r.phone,
    userId: r.user_id,
    organization: r.organization,
    organizationId: r.organization_id,
    tier: r.effective_tier,
    ownTier: r.tier,
    emailBouncing: r.email_bouncing_at ? { since: iso(r.email_bouncing_at)!, reason: r.email_bounce_reason } : null,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}

export function presentOrganization(o: OrganizationRow) {
  return { id: o.id, name: o.name, tier: o.tier, createdAt: iso(o.created_at)!, updatedAt: iso(o.updated_at)! };
}

export function presentGroup(g: GroupRow, live?: GroupLoadRow) {
  const members = live?.members.map((m) => ({ ...m, load: Number(m.load) }));
  return {
    id: g.id,
    slug: g.slug,
    name: g.name,
    description: g.description,
    memberCount: g.member_count,
    ...(members
      ? {
          members,
          load: members.reduce((n, m) => n + m.load, 0),
          capacity: members.reduce((n, m) => n + m.capacity, 0),
          waiting: live!.waiting,
        }
      : {}),
    createdAt: iso(g.created_at)!,
    updatedAt: iso(g.updated_at)!,
  };
}
