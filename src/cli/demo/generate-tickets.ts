import type { TicketPriority, TicketSource, TicketStatus } from '../../domain/tickets/lifecycle.ts';
import type { Tier } from '../../db/repositories/people.ts';
import { membersByGroup, type DemoAgent, type DemoPeople } from './generate-people.ts';
import type { Random } from './random.ts';
import { TicketLife, type DemoActor, type DemoTicket } from './ticket-life.ts';
import {
  AGENT_FIRST_REPLIES, AGENT_FOLLOW_UPS, AGENT_PENDING_QUESTIONS, AGENT_SOLUTIONS, CANCEL_REASONS, CATEGORIES,
  CATEGORY_TAGS, CHANNELS, CLOSINGS, COMMON_TAGS, DETAILS, INTERNAL_NOTES, OPENERS, PRODUCTS, REQUESTER_REPLIES,
  SLOTS, SUBJECTS, WHEN, WHO, type Category, type GroupSlug,
} from './words.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Demo tickets were opened during the last 90 days. */
export const DEMO_SPAN_MS = 90 * DAY;
/** A resolved ticket is closed by the system this long after resolution (if it was not closed by hand). */
const AUTO_CLOSE_MS = 4 * DAY;

const SYSTEM: DemoActor = { type: 'system', id: null, name: 'Triage' };

/**
 * Creation times of `count` tickets over the last 90 days, oldest first, with
 * millisecond precision: more on weekdays and in working hours (UTC), as a
 * real queue has. Oldest first, so ticket numbers grow with time.
 */
export function creationTimes(rng: Random, now: Date, count: number): number[] {
  const end = now.getTime();
  const times: number[] = [];
  while (times.length < count) {
    const t = end - 1 - Math.floor(rng.next() * DEMO_SPAN_MS);
    const d = new Date(t);
    const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
    const working = d.getUTCHours() >= 7 && d.getUTCHours() < 19;
    if (rng.next() < (weekend ? 0.3 : 1) * (working ? 1 : 0.35)) times.push(t);
  }
  return times.sort((a, b) => a - b);
}

/** Everything a ticket's story draws on: people by role and group. */
export class DemoWorld {
  readonly members: Map<GroupSlug, DemoAgent[]>;
  readonly supervisors: DemoAgent[];
  readonly groupsBySlug: Map<string, { id: string; slug: string }>;

  constructor(readonly people: DemoPeople) {
    this.members = membersByGroup(people.agents);
    this.supervisors = people.agents.filter((a) => a.role === 'supervisor');
    this.groupsBySlug = new Map(people.groups.map((g) => [g.slug, g]));
  }
}

const asActor = (a: DemoAgent): DemoActor & { id: string } => ({ type: 'agent', id: a.id, name: a.name });

function fill(rng: Random, template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_m, slot: string) => {
    if (vars[slot] !== undefined) return vars[slot];
    if (slot === 'invoice') return `INV-${rng.int(10_000, 99_999)}`;
    if (slot === 'n') return String(rng.int(2, 60));
    if (slot === 'when') return fill(rng, rng.pick(WHEN), vars);
    if (slot === 'who') return rng.pick(WHO);
    return rng.pick(SLOTS[slot] ?? [slot]);
  });
}

function pickStatus(rng: Random, ageMs: number): TicketStatus {
  if (ageMs < 6 * HOUR) return rng.weighted<TicketStatus>({ new: 50, open: 25, in_progress: 10, pending: 5, resolved: 5, cancelled: 5 });
  if (ageMs < 3 * DAY) {
    return rng.weighted<TicketStatus>({ new: 12, open: 22, in_progress: 15, pending: 15, resolved: 25, closed: 6, cancelled: 5 });
  }
  if (ageMs < 14 * DAY) {
    return rng.weighted<TicketStatus>({ new: 2, open: 7, in_progress: 6, pending: 9, resolved: 16, closed: 55, cancelled: 5 });
  }
  return rng.weighted<TicketStatus>({ new: 0.2, open: 0.4, in_progress: 0.4, pending: 0.6, resolved: 1.5, closed: 91, cancelled: 6 });
}

const PRIORITY_BY_TIER: Record<Tier, Record<TicketPriority, number>> = {
  free: { critical: 1, high: 10, normal: 54, low: 35 },
  standard: { critical: 3, high: 17, normal: 60, low: 20 },
  premium: { critical: 6, high: 24, normal: 55, low: 15 },
  enterprise: { critical: 10, high: 30, normal: 50, low: 10 },
};
const FIRST_RESPONSE: Record<TicketPriority, [number, number]> = {
  critical: [3 * MIN, HOUR], high: [10 * MIN, 4 * HOUR], normal: [20 * MIN, 12 * HOUR], low: [HOUR, 2 * DAY],
};
const DUE_IN: Record<TicketPriority, number> = { critical: 4 * HOUR, high: DAY, normal: 3 * DAY, low: 7 * DAY };

/**
 * One ticket with its whole story up to `now`: a final status chosen by age
 * (old tickets are mostly closed, recent ones still open), then the commands
 * that lead there (assignment, replies, notes, status changes), each writing
 * the history rows and version bump the real command would.
 */
export function generateTicket(rng: Random, world: DemoWorld, createdAt: number, now: number): DemoTicket {
  const { people } = world;
  // a few requesters write a lot: squaring the uniform draw favours the first ones
  const requester = people.requesters[Math.floor(rng.next() ** 2 * people.requesters.length)];
  const category = rng.weighted(Object.fromEntries(Object.entries(CATEGORIES).map(([k, v]) => [k, v.weight])) as Record<Category, number>);
  const subcategory = rng.pick(CATEGORIES[category].subcategories);
  const groupSlug = CATEGORIES[category].group;
  const group = world.groupsBySlug.get(groupSlug)!;
  const priority = rng.weighted(PRIORITY_BY_TIER[requester.effectiveTier]);
  const source = rng.weighted<TicketSource>({ email: 40, web: 25, chat: 15, phone: 12, api: 8 });
  const vars = { name: requester.firstName };
  const subject = fill(rng, rng.pick(SUBJECTS[subcategory]), vars);
  const details = rng.sample(DETAILS, rng.int(1, 3)).map((d) => fill(rng, d, vars)).join(' ');
  const description = `${rng.pick(OPENERS)}\n\n${subject}${/[?!.]$/.test(subject) ? '' : '.'} ${details}\n\n${rng.pick(CLOSINGS)}\n${requester.firstName}`;
  const tags = new Set<string>(rng.sample(CATEGORY_TAGS[category], Number(rng.weighted({ '0': 30, '1': 40, '2': 22, '3': 8 }))));
  if (rng.chance(0.12)) tags.add(rng.pick(COMMON_TAGS));
  if (requester.effectiveTier === 'enterprise' && rng.chance(0.5)) tags.add('enterprise');
  if (priority === 'critical' && rng.chance(0.6)) tags.add('urgent');
  const customFields: Record<string, unknown> = rng.chance(0.7) ? { product: rng.pick(PRODUCTS) } : {};
  if (category === 'technical' && rng.chance(0.6)) customFields.environment = rng.pick(['production', 'staging']);

  const ticket: DemoTicket = {
    id: rng.uuid(), number: 0, subject, description, status: 'new', priority, category, subcategory,
    requesterId: requester.id, assigneeId: null, groupId: null, source, channel: CHANNELS[source], tags: [...tags],
    customFields, dueDate: rng.chance(0.35) ? new Date(createdAt + DUE_IN[priority]) : null, resolvedAt: null, closedAt: null,
    version: 1, createdBy: null, createdAt: new Date(createdAt), updatedAt: new Date(createdAt), comments: [], history: [],
  };
  const life = new TicketLife(rng, now, ticket);
  // e-mail and web-form tickets are opened by Triage itself, API ones by the integration's token owner (the admin),
  // phone and chat ones by the agent who took them
  const creator = source === 'email' || source === 'web' ? SYSTEM : source === 'api' ? asActor(people.admin) : asActor(rng.pick(world.members.get('general')!));
  life.create(creator);
  playStory(rng, world, life, pickStatus(rng, now - createdAt), { group, groupSlug, requester: { type: 'requester', id: requester.id, name: requester.name } });
  return ticket;
}

interface StoryCast {
  group: { id: string; slug: string };
  groupSlug: GroupSlug;
  requester: DemoActor & { id: string };
}

function playStory(rng: Random, world: DemoWorld, life: TicketLife, final: TicketStatus, cast: StoryCast): void {
  const k = life.ticket;
  const members = world.members.get(cast.groupSlug)!;
  const supervisor = members.find((m) => m.role === 'supervisor') ?? rng.pick(world.supervisors);
  const agent = rng.pick(members.filter((m) => m.role === 'agent'));
  const me = asActor(agent);
  const vars = { name: cast.requester.name.split(' ')[0] };
  const say = (list: readonly string[]) => fill(rng, rng.pick(list), vars);
  // who assigns: round-robin routing (the system), the agent taking it, or the group's supervisor
  const assigner = () => rng.weighted({ system: 50, self: 30, supervisor: 20 });
  const assign = () => {
    const who = assigner();
    life.assign(who === 'system' ? SYSTEM : who === 'self' ? me : asActor(supervisor), cast.group, agent);
  };

  if (final === 'new') {
    if (rng.chance(0.6)) {
      life.wait(MIN, 30 * MIN);
      life.assign(SYSTEM, cast.group, null);
    }
    if (rng.chance(0.2)) {
      life.wait(HOUR, DAY);
      life.comment(cast.requester, say(REQUESTER_REPLIES.slice(2, 3)));
    }
    return;
  }
  if (final === 'cancelled') {
    if (rng.chance(0.5)) {
      life.wait(5 * MIN, 4 * HOUR);
      assign();
    }
    if (rng.chance(0.3)) {
      life.wait(5 * MIN, HOUR);
      life.comment(asActor(k.assigneeId ? agent : supervisor), say(INTERNAL_NOTES), true);
    }
    life.wait(5 * MIN, DAY);
    life.setStatus(asActor(k.assigneeId ? agent : supervisor), 'cancelled', rng.pick(CANCEL_REASONS));
    return;
  }

  life.wait(2 * MIN, 6 * HOUR);
  assign();
  if (rng.chance(0.12)) {
    life.wait(5 * MIN, 2 * HOUR);
    const raised: TicketPriority = k.priority === 'low' ? 'normal' : k.priority === 'normal' ? 'high' : 'critical';
    if (raised !== k.priority) life.update(rng.chance(0.5) ? me : asActor(supervisor), 'priority', raised);
  }
  life.wait(...FIRST_RESPONSE[k.priority]);
  if (rng.chance(0.85)) life.comment(me, say(AGENT_FIRST_REPLIES));
  else life.comment(me, say(INTERNAL_NOTES), true);

  if (final === 'open') {
    if (rng.chance(0.5)) { life.wait(30 * MIN, DAY); life.comment(cast.requester, say(REQUESTER_REPLIES)); }
    if (rng.chance(0.3)) { life.wait(10 * MIN, 4 * HOUR); life.comment(asActor(rng.chance(0.7) ? agent : supervisor), say(INTERNAL_NOTES), true); }
    return;
  }
  if (final === 'in_progress' || rng.chance(0.5)) {
    life.wait(10 * MIN, 8 * HOUR);
    life.setStatus(me, 'in_progress');
  }
  if (rng.chance(0.3)) { life.wait(10 * MIN, 4 * HOUR); life.comment(asActor(rng.chance(0.7) ? agent : supervisor), say(INTERNAL_NOTES), true); }
  if (rng.chance(0.05) && !k.tags.includes('escalated')) { life.wait(10 * MIN, 4 * HOUR); life.update(asActor(supervisor), 'tags', [...k.tags, 'escalated']); }
  if (final === 'in_progress') {
    if (rng.chance(0.4)) { life.wait(HOUR, DAY); life.comment(me, say(AGENT_FOLLOW_UPS)); }
    return;
  }
  if (final === 'pending' || rng.chance(0.3)) {
    life.wait(30 * MIN, DAY);
    life.comment(me, say(AGENT_PENDING_QUESTIONS));
    life.wait(1000, 2 * MIN);
    life.setStatus(me, 'pending', 'waiting for the requester');
    if (final === 'pending') return;
    life.wait(HOUR, 2 * DAY);
    // the requester's answer puts the ticket back to open
    if (!life.comment(cast.requester, say(REQUESTER_REPLIES.slice(0, 2)))) life.setStatus(me, 'open');
  }
  // resolved or closed from here
  life.wait(HOUR, 3 * DAY);
  life.comment(me, say(AGENT_SOLUTIONS));
  life.wait(1000, 10 * MIN);
  life.setStatus(me, 'resolved');
  if (rng.chance(0.1) && life.room > 2 * DAY) {
    life.wait(2 * HOUR, DAY);
    life.comment(cast.requester, say(REQUESTER_REPLIES.slice(5)));
    life.wait(10 * MIN, 4 * HOUR);
    life.setStatus(me, 'open', 'the requester reports the problem is back');
    life.wait(HOUR, DAY);
    life.comment(me, say(AGENT_SOLUTIONS));
    life.wait(1000, 10 * MIN);
    life.setStatus(me, 'resolved');
  }
  if (final === 'closed') {
    if (life.room > AUTO_CLOSE_MS && rng.chance(0.75)) {
      life.at(k.resolvedAt!.getTime() + AUTO_CLOSE_MS);
      life.setStatus(SYSTEM, 'closed', 'closed automatically 4 days after resolution');
    } else {
      life.wait(HOUR, 2 * DAY);
      life.setStatus(me, 'closed', 'the requester confirmed the fix');
    }
  }
}
