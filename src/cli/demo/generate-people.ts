import type { AgentRole, Presence } from '../../db/repositories/agents.ts';
import type { Tier } from '../../db/repositories/people.ts';
import { Random } from './random.ts';
import {
  FIRST_NAMES, GROUPS, GROUP_SKILLS, LANGUAGE_SKILLS, LAST_NAMES, ORG_SUFFIXES, ORG_WORDS_A, ORG_WORDS_B,
  PERSONAL_DOMAINS, type GroupSlug,
} from './words.ts';

const DAY = 86_400_000;

export interface DemoGroup {
  id: string;
  slug: GroupSlug;
  name: string;
  description: string;
}

export interface DemoAgent {
  id: string;
  name: string;
  email: string;
  role: AgentRole;
  skills: string[];
  maxConcurrentTickets: number;
  status: Presence;
  lastActiveAt: Date | null;
  groups: GroupSlug[];
  createdAt: Date;
}

export interface DemoOrganization {
  id: string;
  name: string;
  tier: Tier;
  domain: string;
  createdAt: Date;
}

export interface DemoRequester {
  id: string;
  name: string;
  firstName: string;
  email: string;
  phone: string | null;
  organizationId: string | null;
  /** own tier; null inherits the organization's */
  tier: Tier | null;
  /** the tier that applies (own, else the organization's, else standard) */
  effectiveTier: Tier;
  createdAt: Date;
}

export interface DemoPeople {
  groups: DemoGroup[];
  admin: DemoAgent;
  agents: DemoAgent[];
  organizations: DemoOrganization[];
  requesters: DemoRequester[];
}

export const DEMO_ADMIN_EMAIL = 'admin@demo.triage';
export const DEMO_ADMIN_PASSWORD = 'demo-admin-password';
export const DEMO_AGENT_PASSWORD = 'demo-agent-password';
export const DEMO_AGENT_COUNT = 30;

/**
 * Primary group of each of the 30 agents (10 technical, 7 billing, 7 general,
 * 6 accounts), and which of them are supervisors.
 */
const PRIMARY_GROUPS: GroupSlug[] = [
  ...Array<GroupSlug>(7).fill('billing'), ...Array<GroupSlug>(10).fill('technical'),
  ...Array<GroupSlug>(6).fill('accounts'), ...Array<GroupSlug>(7).fill('general'),
];
const SUPERVISORS = new Map<number, GroupSlug>([[0, 'accounts'], [7, 'general']]);

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '');
const ORG_SIZE_WEIGHT: Record<Tier, number> = { free: 1, standard: 2, premium: 3, enterprise: 5 };

/** Groups, the demo admin, 30 agents, organizations across tiers and their requesters. */
export function generatePeople(rng: Random, now: Date, sizes: { organizations: number; requesters: number }): DemoPeople {
  const t0 = now.getTime();
  const groups: DemoGroup[] = GROUPS.map((g) => ({ id: rng.uuid(), ...g }));

  const admin: DemoAgent = {
    id: rng.uuid(), name: 'Demo Admin', email: DEMO_ADMIN_EMAIL, role: 'admin', skills: [], maxConcurrentTickets: 0,
    status: 'online', lastActiveAt: new Date(t0 - 5 * 60_000), groups: [], createdAt: new Date(t0 - 180 * DAY),
  };

  const names = rng.sample(FIRST_NAMES.flatMap((f) => LAST_NAMES.map((l) => [f, l] as const)), DEMO_AGENT_COUNT);
  const agents = names.map(([first, last], i): DemoAgent => {
    const primary = PRIMARY_GROUPS[i];
    const secondary = SUPERVISORS.get(i) ?? (i % 5 === 3 ? (primary === 'general' ? 'accounts' : 'general') : undefined);
    const status = rng.weighted<Presence>({ online: 45, away: 15, busy: 15, offline: 25 });
    return {
      id: rng.uuid(),
      name: `${first} ${last}`,
      email: `${slug(first)}.${slug(last)}@demo.triage`,
      role: SUPERVISORS.has(i) ? 'supervisor' : 'agent',
      skills: [...rng.sample(GROUP_SKILLS[primary], rng.int(2, 4)), ...rng.sample(LANGUAGE_SKILLS, rng.int(1, 2))],
      maxConcurrentTickets: rng.pick([10, 15, 20, 25]),
      status,
      lastActiveAt: status === 'offline' ? new Date(t0 - rng.logDuration(3_600_000, 5 * DAY)) : new Date(t0 - rng.int(0, 600_000)),
      groups: secondary ? [primary, secondary] : [primary],
      createdAt: new Date(t0 - rng.int(95, 400) * DAY),
    };
  });

  const organizations = generateOrganizations(rng, t0, sizes.organizations);
  const requesters = generateRequesters(rng, t0, organizations, sizes.requesters);
  return { groups, admin, agents, organizations, requesters };
}

function generateOrganizations(rng: Random, t0: number, count: number): DemoOrganization[] {
  const tiers: Tier[] = [];
  // 30% free, 40% standard, 20% premium, 10% enterprise, every tier present
  for (let i = 0; i < count; i++) tiers.push(i % 10 < 3 ? 'free' : i % 10 < 7 ? 'standard' : i % 10 < 9 ? 'premium' : 'enterprise');
  const names = new Set<string>();
  const domains = new Set<string>();
  return tiers.map((tier) => {
    let name: string;
    do {
      name = `${rng.pick(ORG_WORDS_A)} ${rng.pick(ORG_WORDS_B)}${rng.chance(0.5) ? ` ${rng.pick(ORG_SUFFIXES)}` : ''}`;
    } while (names.has(name.toLowerCase()));
    names.add(name.toLowerCase());
    let domain = `${slug(name.split(' ').slice(0, 2).join(''))}.example`;
    for (let n = 2; domains.has(domain); n++) domain = `${slug(name)}${n}.example`;
    domains.add(domain);
    return { id: rng.uuid(), name, tier, domain, createdAt: new Date(t0 - rng.int(100, 900) * DAY) };
  });
}

function generateRequesters(rng: Random, t0: number, orgs: DemoOrganization[], count: number): DemoRequester[] {
  const emails = new Set<string>();
  const weights = Object.fromEntries(orgs.map((o, i) => [String(i), ORG_SIZE_WEIGHT[o.tier]])) as Record<string, number>;
  const requesters: DemoRequester[] = [];
  for (let i = 0; i < count; i++) {
    // every organization gets a first member; then 85% of people belong to one, bigger tiers having more
    const org = i < orgs.length ? orgs[i] : rng.chance(0.85) && orgs.length ? orgs[Number(rng.weighted(weights))] : null;
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const local = rng.chance(0.7) ? `${slug(first)}.${slug(last)}` : `${slug(first)[0]}${slug(last)}`;
    const domain = org ? org.domain : rng.pick(PERSONAL_DOMAINS);
    let email = `${local}@${domain}`;
    for (let n = 2; emails.has(email); n++) email = `${local}${n}@${domain}`;
    emails.add(email);
    const tier: Tier | null = org ? null : rng.chance(0.6) ? 'free' : null;
    requesters.push({
      id: rng.uuid(),
      name: `${first} ${last}`,
      firstName: first,
      email,
      phone: rng.chance(0.4) ? `+1 555 01${rng.int(0, 99).toString().padStart(2, '0')} ${rng.int(1000, 9999)}` : null,
      organizationId: org?.id ?? null,
      tier,
      effectiveTier: tier ?? org?.tier ?? 'standard',
      createdAt: new Date(t0 - rng.int(91, 700) * DAY - rng.int(0, DAY)),
    });
  }
  return requesters;
}

/** Members of each group (supervisors included). */
export function membersByGroup(agents: DemoAgent[]): Map<GroupSlug, DemoAgent[]> {
  const map = new Map<GroupSlug, DemoAgent[]>();
  for (const a of agents) for (const g of a.groups) map.set(g, [...(map.get(g) ?? []), a]);
  return map;
}
