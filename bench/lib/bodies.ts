/** Seeded PRNG (mulberry32): the same run always sends the same sequence of bodies. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

const FIRST = ['Ana', 'Ben', 'Chloé', 'Dmitri', 'Eva', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemal', 'Lena', 'Marta', 'Noah', 'Olga', 'Priya', 'Quentin', 'Rosa', 'Sven', 'Tara'];
const LAST = ['Silva', 'Müller', 'Okafor', 'Nguyen', 'García', 'Kowalski', 'Haddad', 'Larsen', 'Rossi', 'Tanaka', 'Dubois', 'Petrov', 'Smith', 'Yilmaz'];
const ORGS = Array.from({ length: 40 }, (_, i) => `Bench Customer ${String(i + 1).padStart(2, '0')} Ltd`);

const TOPICS = [
  { category: 'billing', subcategory: 'invoice', subject: 'Invoice {n} shows the wrong VAT rate' },
  { category: 'billing', subcategory: 'refund', subject: 'Refund for order {n} not received yet' },
  { category: 'account', subcategory: 'login', subject: 'Cannot sign in after password reset ({n})' },
  { category: 'account', subcategory: 'sso', subject: 'SSO redirect loop for our workspace {n}' },
  { category: 'technical', subcategory: 'api', subject: 'API returns 502 on bulk export job {n}' },
  { category: 'technical', subcategory: 'performance', subject: 'Dashboard takes 30 s to load (ref {n})' },
  { category: 'shipping', subcategory: 'delay', subject: 'Parcel {n} stuck in transit for a week' },
  { category: 'general', subcategory: undefined, subject: 'Question about the premium plan ({n})' },
] as const;

const SENTENCES = [
  'Hello, since this morning the problem described in the subject keeps happening for several people on our team.',
  'We already tried clearing the cache, signing out and in again, and using another browser, without any change.',
  'The error appears right after we press save; nothing useful is shown on screen apart from a generic message.',
  'This blocks our month-end closing, so we would appreciate an answer today if at all possible.',
  'I attached nothing yet but can send screenshots or a HAR file if that helps your engineers.',
  'Our account manager suggested opening a ticket here instead of writing to the shared inbox.',
  'Thank you in advance, and please let me know if you need any other detail from our side.',
];

const TAGS = ['vip', 'urgent', 'bug', 'invoice', 'mobile', 'web', 'eu', 'us', 'follow-up', 'escalated'];
const PRIORITIES = ['low', 'normal', 'normal', 'normal', 'high', 'critical'] as const;
const SOURCES = ['email', 'email', 'web', 'web', 'chat', 'api', 'phone'] as const;

export interface TicketMix {
  /** share of requests by a requester already known (from a pool of `repeatPool` addresses) */
  repeatShare: number;
  repeatPool: number;
  /** share of requests naming an organization (one of 40) */
  orgShare: number;
}

export const DEFAULT_MIX: TicketMix = { repeatShare: 0.2, repeatPool: 500, orgShare: 0.3 };

/**
 * Builds valid, all-different POST /tickets bodies: mostly new requester
 * e-mails (unique per run), some repeat requesters (some with different case),
 * some organizations, varied priorities, sources, tags and custom fields.
 */
export function ticketBodies(runId: string, seed: number, mix: TicketMix = DEFAULT_MIX): (i: number) => string {
  const r = rng(seed);
  return (i) => {
    const repeat = r() < mix.repeatShare;
    const first = pick(r, FIRST);
    const last = pick(r, LAST);
    let email: string;
    if (repeat) {
      const k = 1 + Math.floor(r() * mix.repeatPool);
      email = r() < 0.25 ? `Repeat.Customer${k}@Example.COM` : `repeat.customer${k}@example.com`;
    } else {
      email = `${first}.${last}.${runId}.${i}@example.com`.normalize('NFD').replace(/[^\x21-\x7e]/g, '').toLowerCase();
    }
    const topic = pick(r, TOPICS);
    const n = 10_000 + Math.floor(r() * 90_000);
    const sentences = 2 + Math.floor(r() * 4);
    const description = Array.from({ length: sentences }, () => pick(r, SENTENCES)).join(' ');
    const tags = Array.from({ length: Math.floor(r() * 4) }, () => pick(r, TAGS));
    const body: Record<string, unknown> = {
      subject: topic.subject.replace('{n}', String(n)),
      description,
      requester: {
        name: `${first} ${last}`,
        email,
        ...(r() < 0.3 ? { phone: `+49 30 ${1_000_000 + Math.floor(r() * 8_999_999)}` } : {}),
        ...(r() < mix.orgShare ? { organization: pick(r, ORGS) } : {}),
      },
      category: topic.category,
      ...(topic.subcategory ? { subcategory: topic.subcategory } : {}),
      source: pick(r, SOURCES),
      ...(r() < 0.6 ? { priority: pick(r, PRIORITIES) } : {}),
      ...(tags.length ? { tags } : {}),
      ...(r() < 0.3 ? { customFields: { orderId: `ORD-${n}`, plan: pick(r, ['free', 'team', 'business']) } } : {}),
    };
    return JSON.stringify(body);
  };
}
