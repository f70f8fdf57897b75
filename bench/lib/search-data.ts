/**
 * bench:search's help desk: two years of tickets with realistic text (support
 * vocabulary, product names, error codes, words with accents in several
 * languages), skewed statuses, priorities, categories, groups, assignees,
 * tags, organizations and tiers, public replies and internal notes, the
 * reporting facts and the search documents — written set-based (generate_series,
 * INSERT … SELECT) so that 1,000,000 tickets with 3,000,000 comments take
 * minutes, on PGlite and on PostgreSQL alike.
 *
 * The per-row search/facts triggers are disabled for the load (`DISABLE TRIGGER
 * USER`: the foreign-key triggers stay on) and the secondary indexes of the
 * bulk tables dropped and recreated from their own definitions afterwards; the
 * documents are built in one INSERT … SELECT with the functions the triggers
 * use, and the facts in another, from the rows themselves. All in one
 * transaction (a failed load leaves the triggers as they were), then VACUUM
 * (ANALYZE).
 */
import type { Db } from '../../src/db/client.ts';

/** Groups; each ticket category belongs to one of them. */
export const GROUPS = ['billing', 'technical', 'accounts', 'shipping', 'returns', 'integrations', 'mobile', 'security', 'enterprise', 'onboarding'] as const;

/** Categories and the group that handles them, most frequent first (picked with a skew). */
export const CATEGORIES: [string, (typeof GROUPS)[number]][] = [
  ['billing', 'billing'], ['technical', 'technical'], ['login', 'accounts'], ['shipping', 'shipping'], ['refunds', 'billing'],
  ['account', 'accounts'], ['returns', 'returns'], ['api', 'integrations'], ['mobile', 'mobile'], ['integrations', 'integrations'],
  ['invoicing', 'billing'], ['security', 'security'], ['performance', 'technical'], ['onboarding', 'onboarding'], ['enterprise', 'enterprise'],
  ['privacy', 'security'], ['exports', 'technical'], ['notifications', 'mobile'],
];

/** Tags, most frequent first. `spam` is never used: the benchmark's view is "everything but spam". */
export const TAGS = [
  'follow-up', 'vip', 'bug', 'feature-request', 'urgent', 'refund', 'escalated', 'churn-risk', 'outage', 'duplicate', 'how-to',
  'billing-error', 'password-reset', 'sso', 'gdpr', 'chargeback', 'beta', 'wrong-item', 'damaged', 'late-delivery', 'trial',
  'upgrade', 'downgrade', 'cancellation', 'api-limit', 'webhook', 'android', 'ios', 'invoice', 'data-export',
];

export const PRODUCTS = [
  'Triage Cloud', 'the mobile app', 'the Android app', 'the iOS app', 'the web dashboard', 'the billing portal', 'the REST API', 'Webhooks',
  'Single sign-on', 'the Slack integration', 'the Salesforce connector', 'the CSV importer', 'the reporting module', 'the checkout page',
  'Acme Router X200', 'Acme Router X300', 'SmartHub Pro', 'SmartHub Mini', 'PayFlow', 'ShipTrack', 'the desktop client', 'Zapier integration',
  'the customer portal', 'the knowledge base', 'Outlook add-in',
];

const VERBS = [
  'open', 'update', 'export', 'import', 'download', 'upload', 'sync', 'delete', 'reset', 'configure', 'install', 'connect', 'cancel', 'renew',
  'pay', 'refund', 'log into', 'share', 'print', 'save',
];
const OBJECTS = [
  'invoice', 'account', 'password', 'order', 'subscription', 'report', 'dashboard', 'attachment', 'profile', 'payment method', 'shipment',
  'license key', 'workspace', 'API token', 'webhook', 'firmware', 'credit card', 'address', 'receipt', 'calendar', 'contact list', 'backup',
];
/** Common support words, most frequent first (picked with a skew, so the head is common and the tail rare). */
const WORDS = [
  'please', 'help', 'account', 'error', 'order', 'thanks', 'issue', 'problem', 'payment', 'login', 'invoice', 'refund', 'working', 'update',
  'customer', 'since', 'yesterday', 'today', 'again', 'still', 'urgent', 'team', 'email', 'password', 'page', 'screen', 'button', 'message',
  'support', 'reply', 'ticket', 'request', 'subscription', 'charge', 'charged', 'twice', 'billing', 'card', 'bank', 'transfer', 'delivery',
  'package', 'tracking', 'number', 'address', 'shipping', 'return', 'label', 'damaged', 'missing', 'wrong', 'item', 'replacement', 'broken',
  'slow', 'timeout', 'crash', 'crashes', 'freeze', 'blank', 'loading', 'spinner', 'browser', 'chrome', 'firefox', 'safari', 'windows', 'mac',
  'android', 'iphone', 'tablet', 'version', 'upgrade', 'downgrade', 'plan', 'trial', 'license', 'seats', 'users', 'admin', 'permission',
  'access', 'denied', 'locked', 'reset', 'verification', 'code', 'sms', 'authenticator', 'sso', 'saml', 'okta', 'azure', 'google', 'token',
  'expired', 'webhook', 'endpoint', 'integration', 'sync', 'duplicate', 'contacts', 'import', 'export', 'csv', 'spreadsheet', 'report',
  'dashboard', 'chart', 'filter', 'search', 'notification', 'notifications', 'settings', 'profile', 'avatar', 'upload', 'attachment', 'pdf',
  'download', 'link', 'redirect', 'loop', 'cookie', 'cache', 'cleared', 'reinstalled', 'restarted', 'router', 'firmware', 'wifi', 'bluetooth',
  'battery', 'warranty', 'serial', 'receipt', 'vat', 'tax', 'currency', 'euro', 'discount', 'coupon', 'promo', 'price', 'quote', 'contract',
  'renewal', 'cancel', 'cancellation', 'churn', 'competitor', 'feature', 'roadmap', 'beta', 'feedback', 'suggestion', 'documentation',
  'tutorial', 'onboarding', 'training', 'migration', 'data', 'gdpr', 'deletion', 'privacy', 'consent', 'audit', 'log', 'logs', 'outage',
  'status', 'incident', 'latency', 'region', 'server', 'database', 'backup', 'restore', 'calendar', 'timezone', 'schedule', 'meeting',
  'manager', 'colleague', 'department', 'finance', 'procurement', 'legal', 'deadline', 'weekend', 'monday', 'friday', 'asap', 'escalate',
  'supervisor', 'callback', 'phone', 'chat', 'agent', 'waiting', 'hours', 'days', 'weeks', 'frustrating', 'disappointed', 'appreciate',
  'quickly', 'confirm', 'screenshot', 'attached', 'steps', 'reproduce', 'workaround', 'hotfix', 'patch', 'regression', 'intermittent',
  'sporadic', 'certificate', 'ssl', 'dns', 'proxy', 'firewall', 'vpn', 'kubernetes', 'docker', 'python', 'javascript', 'sdk', 'oauth',
  'scope', 'quota', 'throttled', 'ratelimit', 'pagination', 'json', 'xml', 'utf8', 'encoding', 'unicode', 'emoji', 'signature', 'footer',
];
/** Words with accents and other scripts' letters, from the tickets of non-English customers (matched accent-insensitively). */
const FOREIGN = [
  'facturación', 'contraseña', 'añadir', 'señal', 'envío', 'devolución', 'reembolso', 'pedido', 'cancelación', 'configuración',
  'réinitialiser', 'problème', 'déjà', 'reçu', 'été', 'livraison', 'commande', 'paiement', 'facture', 'remboursement', 'accès',
  'überweisung', 'lösung', 'rechnung', 'größe', 'kündigung', 'zurücksetzen', 'störung', 'anmeldung', 'bestätigung',
  'conexão', 'atenção', 'não', 'configuração', 'cobrança', 'açúcar', 'åtkomst', 'fakturaen', 'çalışmıyor', 'sipariş', 'ödeme',
  'zamówienie', 'płatność', 'dziękuję', 'žádost', 'zaplacení', 'smørrebrød', 'café', 'crème', 'naïve', 'résumé', 'coördinator',
];
const GREETINGS = ['Hi team,', 'Hello,', 'Dear support,', 'Hi there,', 'Good morning,', 'Bonjour,', 'Hola,', 'Hallo,', 'Olá,', 'Hej,'];
const CLOSINGS = ['Thanks!', 'Best regards.', 'Kind regards.', 'Cheers.', 'Merci beaucoup.', 'Gracias.', 'Vielen Dank.', 'Obrigado.', 'Thank you in advance.', 'Regards.'];

export const ERROR_CODES = 3000;
/** E1000 … E3999: each appears in a handful of tickets per 10,000 — the rare words of the free-text queries. */
export const errorCode = (n: number) => `E${1000 + (n % ERROR_CODES)}`;
/** Common words for free-text queries (the head of WORDS), medium and rare ones. */
export const QUERY_WORDS = {
  common: WORDS.slice(0, 40),
  medium: [...WORDS.slice(60, 200), 'Acme', 'SmartHub', 'PayFlow', 'ShipTrack', 'Salesforce'],
  // accent-free spellings of the foreign words: unaccent must match them
  foreign: FOREIGN.map((w) => w.normalize('NFD').replace(/\p{M}/gu, '')),
};

export interface SearchSizes {
  tickets: number;
  /** comments per ticket on average (0 for new tickets, 1–(2·mean−1) otherwise) */
  commentsPerTicket: number;
  agents: number;
  organizations: number;
  requesters: number;
  /** sentences in the pool descriptions and comments are drawn from */
  sentences: number;
}

export function searchSizes(tickets: number, commentsPerTicket = 3): SearchSizes {
  return {
    tickets,
    commentsPerTicket,
    agents: Math.max(40, Math.min(400, Math.round(tickets / 2500))),
    organizations: Math.max(50, Math.round(tickets / 500)),
    requesters: Math.max(500, Math.round(tickets / 4)),
    sentences: Math.max(5000, Math.min(60_000, Math.round(tickets / 20))),
  };
}

export interface SearchSeedSummary {
  seconds: number;
  /** seconds per step, in order */
  steps: { step: string; seconds: number }[];
  tickets: number;
  comments: number;
  internalNotes: number;
  requesters: number;
  organizations: number;
  agents: number;
  groups: number;
  statuses: Record<string, number>;
  /** tickets created in the last 90 days (what the 90-day report covers) */
  last90Days: number;
  /** pg_total_relation_size of tickets, ticket_comments, ticket_search (PostgreSQL; PGlite too) in MiB */
  sizesMiB: Record<string, number>;
}

/** The bulk tables whose secondary indexes are rebuilt after the load (constraint indexes stay). */
const BULK_TABLES = ['tickets', 'ticket_comments', 'ticket_search', 'ticket_facts', 'requesters'];
/** Their per-row triggers (search documents, facts), off during the load. */
const TRIGGER_TABLES = ['tickets', 'ticket_comments'];

/**
 * Fills a migrated, empty database (the server has not started yet). `now`
 * is the end of the two years; `seed` makes the data repeatable apart from
 * the generated UUIDs.
 */
export async function seedSearch(db: Db, s: SearchSizes, o: { now: Date; log?: (msg: string) => void; seed?: number }): Promise<SearchSeedSummary> {
  const t0 = performance.now();
  const steps: { step: string; seconds: number }[] = [];
  let last = performance.now();
  const step = (name: string) => {
    const now = performance.now();
    steps.push({ step: name, seconds: (now - last) / 1000 });
    o.log?.(`  ${name}: ${((now - last) / 1000).toFixed(1)} s`);
    last = now;
  };
  const pick = (arr: string, skew = 1) => `(${arr})[1 + floor(power(random(), ${skew}) * cardinality(${arr}))::int]`;
  await db.transaction(async (tx) => {
    if (db.kind === 'postgres') {
      await tx.query(`SET LOCAL maintenance_work_mem = '1GB'`);
      await tx.query(`SET LOCAL work_mem = '256MB'`);
    }
    await tx.query('SELECT setseed($1)', [o.seed ?? 0.2026112]);
    for (const t of TRIGGER_TABLES) await tx.query(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
    const indexes = (
      await tx.query<{ name: string; def: string }>(
        `SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
          WHERE i.schemaname = current_schema() AND i.tablename = ANY($1::text[])
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`,
        [BULK_TABLES],
      )
    ).rows;
    for (const ix of indexes) await tx.query(`DROP INDEX ${ix.name}`);
    step(`triggers off, ${indexes.length} secondary indexes dropped`);

    // groups, agents (each in its group, a tenth also in a second one), organizations, requesters
    await tx.query(
      `INSERT INTO groups (slug, name, description)
       SELECT g, initcap(g) || ' team', 'bench:search group' FROM unnest($1::text[]) g`,
      [GROUPS],
    );
    await tx.query(
      `CREATE TEMP TABLE bench_groups ON COMMIT DROP AS
         SELECT x.n::int AS n, g.id FROM unnest($1::text[]) WITH ORDINALITY x(slug, n) JOIN groups g ON g.slug = x.slug`,
      [GROUPS],
    );
    await tx.query(
      `INSERT INTO agents (name, email, role, status, active, max_concurrent_tickets)
       SELECT (ARRAY['Anna','Ben','Chloé','David','Elif','Farid','Greta','Hiro','Inès','Jonas','Kai','Léa','Marek','Nadia','Oskar','Priya','Quentin','Rosa','Søren','Tomás'])[1 + i % 20]
                || ' ' || (ARRAY['Müller','Smith','García','Dubois','Rossi','Nowak','Jensen','Silva','Yılmaz','Kowalski','Novák','Andersen','Martin','Björk','Costa'])[1 + (i / 20) % 15]
                || ' ' || i,
              'search-agent-' || lpad(i::text, 4, '0') || '@triage.test',
              CASE WHEN i % 25 = 0 THEN 'supervisor' ELSE 'agent' END,
              (ARRAY['online','online','away','busy','offline'])[1 + i % 5], i % 40 <> 0, 25
         FROM generate_series(1, $1::int) i`,
      [s.agents],
    );
    await tx.query(
      `CREATE TEMP TABLE bench_agents ON COMMIT DROP AS
         SELECT row_number() OVER (ORDER BY email)::int AS n, id FROM agents WHERE email LIKE 'search-agent-%'`,
    );
    await tx.query(
      `INSERT INTO agent_groups (agent_id, group_id)
       SELECT a.id, g.id FROM bench_agents a JOIN bench_groups g ON g.n = 1 + (a.n - 1) % $1::int
       UNION ALL
       SELECT a.id, g.id FROM bench_agents a JOIN bench_groups g ON g.n = 1 + a.n % $1::int WHERE a.n % 10 = 0`,
      [GROUPS.length],
    );
    await tx.query(
      `INSERT INTO organizations (name, tier)
       SELECT (ARRAY['Acme','Globex','Initech','Umbrella','Stark','Wayne','Hooli','Vandelay','Soylent','Tyrell','Cyberdyne','Wonka','Aperture','Müller','Société','Compañía'])[1 + i % 16]
                || ' ' || (ARRAY['GmbH','Ltd','Inc.','S.A.','SARL','AB','BV','Oy','S.p.A.','Sp. z o.o.'])[1 + (i / 16) % 10] || ' ' || i,
              CASE WHEN r < 0.40 THEN 'free' WHEN r < 0.75 THEN 'standard' WHEN r < 0.93 THEN 'premium' ELSE 'enterprise' END
         FROM (SELECT i, random() AS r FROM generate_series(1, $1::int) i) x`,
      [s.organizations],
    );
    await tx.query(`CREATE TEMP TABLE bench_orgs ON COMMIT DROP AS SELECT row_number() OVER (ORDER BY id)::int AS n, id FROM organizations`);
    // 60% of requesters belong to an organization (big customers have many: a skew); 5% carry their own tier
    await tx.query(
      `INSERT INTO requesters (name, email, organization_id, tier)
       SELECT (ARRAY['María','José','François','Zoë','Łukasz','Jürgen','Siobhán','Åsa','Çağla','Nguyễn','Olga','Peter','Sarah','Ahmed','Mei','Ola','Renée','Björn','Iñaki','Ana'])[1 + i % 20]
                || ' ' || (ARRAY['Fernández','Lefèvre','Schröder','O''Brien','Kowalczyk','Öztürk','Johansson','Brown','Tanaka','Dupont','Ivanova','Hernández'])[1 + (i / 20) % 12],
              'customer' || i || '@' || (ARRAY['example.com','mail.example.org','kunde.example.de','client.example.fr','example.es','corp.example.net'])[1 + i % 6],
              o.id, CASE WHEN i % 20 = 0 THEN 'premium' END
         FROM (SELECT i, 1 + floor(power(random(), 2) * $2::int)::int AS org FROM generate_series(1, $1::int) i) x
         LEFT JOIN bench_orgs o ON o.n = x.org AND x.i % 10 < 6`,
      [s.requesters, s.organizations],
    );
    await tx.query(`CREATE TEMP TABLE bench_requesters ON COMMIT DROP AS SELECT row_number() OVER (ORDER BY id)::int AS n, id FROM requesters`);
    step('groups, agents, organizations, requesters');

    // the sentence pool: templates filled with skewed picks (a few products and words are everywhere, most are rare)
    const P = pick('$1::text[]', 2);
    const V = pick('$2::text[]', 1.5);
    const O = pick('$3::text[]', 1.5);
    const W = pick('$4::text[]', 2.2);
    const F = pick('$5::text[]', 1.3);
    const CODE = `'E' || (1000 + floor(random() * ${ERROR_CODES})::int)`;
    await tx.query(
      `CREATE TEMP TABLE bench_sentences ON COMMIT DROP AS
       SELECT i AS id, CASE i % 12
         WHEN 0 THEN format('%s shows error %s when I try to %s the %s.', ${P}, ${CODE}, ${V}, ${O})
         WHEN 1 THEN format('Since the last update I cannot %s my %s in %s anymore.', ${V}, ${O}, ${P})
         WHEN 2 THEN format('We were charged twice for the %s, order %s. Please refund the duplicate %s.', ${O}, 100000 + floor(random() * 900000)::int, ${W})
         WHEN 3 THEN format('The %s times out after %s seconds with HTTP %s and the log says %s.', ${P}, 5 + floor(random() * 120)::int, (ARRAY[500,502,503,504,429,401,403,404])[1 + floor(random() * 8)::int], ${CODE})
         WHEN 4 THEN format('Mon client dit: %s, %s et %s ne marchent plus.', ${F}, ${F}, ${F})
         WHEN 5 THEN format('Could you tell me how to %s the %s for our %s team?', ${V}, ${O}, ${W})
         WHEN 6 THEN format('Steps: open %s, click %s, then %s — it fails every time.', ${P}, ${W}, ${W})
         WHEN 7 THEN format('Tracking number %s shows the package as %s but nothing arrived.', 'TRK' || (10000000 + floor(random() * 89999999)::int), (ARRAY['delivered','in transit','returned','lost'])[1 + floor(random() * 4)::int])
         WHEN 8 THEN format('El cliente escribe: %s %s, la %s no funciona.', ${F}, ${W}, ${F})
         ELSE (SELECT upper(left(w, 1)) || substr(w, 2) || '.' FROM array_to_string(ARRAY(SELECT ${W} FROM generate_series(1, 6 + (i * 7) % 9)), ' ') w)
       END AS s
       FROM generate_series(1, $6::int) i`,
      [PRODUCTS, VERBS, OBJECTS, WORDS, FOREIGN, s.sentences],
    );
    await tx.query(
      `CREATE TEMP TABLE bench_subjects ON COMMIT DROP AS
       SELECT i AS id, CASE i % 6
         WHEN 0 THEN format('%s: error %s', ${P}, ${CODE})
         WHEN 1 THEN format('Cannot %s %s', ${V}, ${O})
         WHEN 2 THEN format('%s %s not working', ${P}, ${O})
         WHEN 3 THEN format('Question about my %s', ${O})
         WHEN 4 THEN format('%s %s %s', initcap(${W}), ${W}, ${W})
         ELSE format('%s — %s', initcap(${F}), ${F})
       END AS s
       FROM generate_series(1, $6::int / 4) i`,
      [PRODUCTS, VERBS, OBJECTS, WORDS, FOREIGN, s.sentences],
    );
    // temp tables have no statistics until analysed: without them the joins below become nested loops over the pools
    await tx.query('ANALYZE bench_groups, bench_agents, bench_orgs, bench_requesters, bench_sentences, bench_subjects');
    step(`text pools (${s.sentences} sentences)`);

    // one row per ticket: when, what state, who; status follows age (old tickets are mostly closed),
    // volume grows over the two years, categories/priorities/tags skewed
    await tx.query(
      `CREATE TEMP TABLE bench_t ON COMMIT DROP AS
       SELECT i, gen_random_uuid() AS id, created, age_days,
              CASE WHEN age_days < 2 THEN (ARRAY['new','new','new','open','open','open','open','in_progress','in_progress','pending'])[1 + floor(r1 * 10)::int]
                   WHEN age_days < 14 THEN CASE WHEN r1 < 0.05 THEN 'new' WHEN r1 < 0.22 THEN 'open' WHEN r1 < 0.35 THEN 'in_progress' WHEN r1 < 0.50 THEN 'pending'
                                                WHEN r1 < 0.88 THEN 'resolved' WHEN r1 < 0.97 THEN 'closed' ELSE 'cancelled' END
                   ELSE CASE WHEN r1 < 0.01 THEN 'open' WHEN r1 < 0.02 THEN 'pending' WHEN r1 < 0.10 THEN 'resolved' WHEN r1 < 0.97 THEN 'closed' ELSE 'cancelled' END
              END AS status,
              CASE WHEN r2 < 0.18 THEN 'low' WHEN r2 < 0.75 THEN 'normal' WHEN r2 < 0.95 THEN 'high' ELSE 'critical' END AS priority,
              1 + floor(power(r3, 1.8) * $3::int)::int AS cat,
              1 + floor(power(random(), 1.5) * $4::int)::int AS req,
              r3, r4, r5
         FROM (SELECT i, r1, r2, r3, r4, r5, created, extract(epoch FROM $2::timestamptz - created) / 86400 AS age_days
                 FROM (SELECT i, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
                              -- density grows towards now: about 16% of two years' tickets fall in the last 90 days
                              date_trunc('milliseconds', $2::timestamptz - (730 * (1 - power(random(), 0.75))) * interval '1 day' - interval '1 minute') AS created
                         FROM generate_series(1, $1::int) i) a) b`,
      [s.tickets, o.now, CATEGORIES.length, s.requesters],
    );
    // comments: 0 for new tickets, else 1..(2·mean−1); events spaced by a gap that keeps everything before now
    await tx.query(
      `CREATE TEMP TABLE bench_tt ON COMMIT DROP AS
       SELECT t.*, c.cat_name, c.grp,
              CASE WHEN t.status = 'new' THEN 0 ELSE 1 + floor(random() * (2 * $1::int - 1))::int END AS n_comments,
              CASE WHEN t.status = 'new' AND t.r4 < 0.6 THEN NULL
                   ELSE 1 + ((c.grp - 1) + $2::int * floor(random() * greatest(1, $3::int / $2::int))::int) % $3::int END AS agent_n
         FROM bench_t t JOIN unnest($4::text[], $5::int[]) WITH ORDINALITY c(cat_name, grp, n) ON c.n = t.cat`,
      [s.commentsPerTicket, GROUPS.length, s.agents, CATEGORIES.map((c) => c[0]), CATEGORIES.map((c) => GROUPS.indexOf(c[1]) + 1)],
    );
    await tx.query(
      `CREATE TEMP TABLE bench_x ON COMMIT DROP AS
       SELECT t.*, least((interval '5 minutes' + power(random(), 2) * interval '30 hours'), ($1::timestamptz - t.created) / (t.n_comments + 2)) AS gap
         FROM bench_tt t`,
      [o.now],
    );
    await tx.query('ANALYZE bench_x');
    step('ticket plan');

    await tx.query(
      `INSERT INTO tickets (id, subject, description, status, priority, category, requester_id, assignee_id, assignee_group_id,
                            source, tags, created_at, updated_at, resolved_at, closed_at, priority_score, created_by)
       SELECT x.id, left(sj.s, 500),
              (ARRAY['Hi team,','Hello,','Dear support,','Hi there,','Good morning,','Bonjour,','Hola,','Hallo,','Olá,','Hej,'])[1 + x.i % 10] || E'\\n\\n'
                || s1.s || ' ' || s2.s || CASE WHEN x.r5 < 0.6 THEN ' ' || s3.s ELSE '' END
                || CASE WHEN x.r5 < 0.3 THEN ' Order ' || (1000000 + floor(random() * 9000000)::int) || '.' ELSE '' END
                || E'\\n\\n' || (ARRAY['Thanks!','Best regards.','Kind regards.','Cheers.','Merci beaucoup.','Gracias.','Vielen Dank.','Obrigado.','Thank you in advance.','Regards.'])[1 + x.i % 10],
              x.status, x.priority, x.cat_name, r.id, a.id, CASE WHEN x.status = 'new' AND x.r4 < 0.3 THEN NULL ELSE g.id END,
              CASE WHEN x.r4 < 0.5 THEN 'email' WHEN x.r4 < 0.75 THEN 'web' WHEN x.r4 < 0.87 THEN 'chat' WHEN x.r4 < 0.95 THEN 'api' ELSE 'phone' END,
              ARRAY(SELECT DISTINCT ${pick('$2::text[]', 2.5)} FROM generate_series(1, (x.i * 7 + (x.r5 * 10)::int) % 4 - 1)),
              x.created,
              CASE WHEN x.status = 'closed' THEN x.created + (x.n_comments + 1) * x.gap + interval '3 days'
                   WHEN x.status IN ('resolved', 'cancelled') THEN x.created + (x.n_comments + 1) * x.gap
                   ELSE x.created + x.n_comments * x.gap END,
              CASE WHEN x.status IN ('resolved', 'closed') THEN x.created + (x.n_comments + 1) * x.gap END,
              CASE WHEN x.status = 'closed' THEN x.created + (x.n_comments + 1) * x.gap + interval '3 days' END,
              40 + x.i % 50, NULL
         FROM bench_x x
         JOIN bench_subjects sj ON sj.id = 1 + (x.i::bigint * 31 + floor(x.r3 * 1000)::int) % ($1::int / 4)
         JOIN bench_sentences s1 ON s1.id = 1 + (x.i::bigint * 7919) % $1::int
         JOIN bench_sentences s2 ON s2.id = 1 + (x.i::bigint * 104729 + 17) % $1::int
         JOIN bench_sentences s3 ON s3.id = 1 + (x.i::bigint * 1299709 + 5) % $1::int
         JOIN bench_requesters r ON r.n = x.req
         JOIN bench_groups g ON g.n = x.grp
         LEFT JOIN bench_agents a ON a.n = x.agent_n
        ORDER BY x.created`,
      [s.sentences, TAGS],
    );
    // the closed tickets' "closed 3 days later" may pass now for the youngest: pull those back
    await tx.query(
      `UPDATE tickets SET closed_at = least(closed_at, $1::timestamptz - interval '1 minute'),
                          updated_at = least(updated_at, $1::timestamptz - interval '1 minute')
        WHERE updated_at >= $1::timestamptz`,
      [o.now],
    );
    step(`${s.tickets} tickets`);

    // comments k = 1..n: odd = agent (a fifth of them internal notes), even = the requester's reply
    await tx.query(
      `INSERT INTO ticket_comments (ticket_id, author_id, author_type, content, is_internal, created_at)
       SELECT c.id, CASE WHEN c.agent THEN coalesce(a.id, fa.id) ELSE r.id END,
              CASE WHEN c.agent THEN 'agent' ELSE 'requester' END,
              CASE WHEN c.internal THEN 'Internal: ' ELSE '' END || s1.s || CASE WHEN c.k % 3 = 0 THEN ' ' || s2.s ELSE '' END
                || CASE WHEN c.agent AND NOT c.internal AND c.k = 1 THEN ' We are looking into it.' ELSE '' END,
              c.internal, c.at
         FROM (SELECT x.id, x.i, x.req, x.agent_n, k, k % 2 = 1 AS agent, k % 2 = 1 AND random() < 0.2 AS internal,
                      x.created + k * x.gap AS at
                 FROM bench_x x, generate_series(1, x.n_comments) k) c
         JOIN bench_requesters r ON r.n = c.req
         LEFT JOIN bench_agents a ON a.n = c.agent_n
         JOIN bench_agents fa ON fa.n = 1 + c.i % $2::int
         JOIN bench_sentences s1 ON s1.id = 1 + (c.i::bigint * 15485863 + c.k * 7) % $1::int
         JOIN bench_sentences s2 ON s2.id = 1 + (c.i::bigint * 32452843 + c.k * 13) % $1::int
        ORDER BY c.at`,
      [s.sentences, s.agents],
    );
    await tx.query('ANALYZE tickets, ticket_comments');
    step('comments');

    // facts, from the rows (the triggers' definitions): first public agent reply, final resolution, done, pending, reopens
    await tx.query(
      `INSERT INTO ticket_facts (ticket_id, created_at, first_response_at, resolved_at, done_at, pending_seconds, pending_since, reopen_count,
                                 status, priority, category, assignee_id, group_id, source, tier)
       SELECT t.id, t.created_at, fr.at,
              CASE WHEN t.status IN ('resolved', 'closed') THEN t.resolved_at END,
              CASE WHEN t.status IN ('resolved', 'closed') THEN t.resolved_at WHEN t.status = 'cancelled' THEN t.updated_at END,
              CASE WHEN t.status IN ('resolved', 'closed') AND t.priority_score % 3 = 0
                   THEN floor(extract(epoch FROM t.resolved_at - t.created_at) * 0.2) ELSE 0 END,
              CASE WHEN t.status = 'pending' THEN t.updated_at END,
              CASE WHEN t.status IN ('resolved', 'closed') AND t.priority_score % 29 = 0 THEN 1 ELSE 0 END,
              t.status, t.priority, t.category, t.assignee_id, t.assignee_group_id, t.source, coalesce(rq.tier, o.tier, 'standard')
         FROM tickets t
         JOIN requesters rq ON rq.id = t.requester_id
         LEFT JOIN organizations o ON o.id = rq.organization_id
         LEFT JOIN (SELECT ticket_id, min(created_at) AS at FROM ticket_comments
                     WHERE author_type = 'agent' AND NOT is_internal GROUP BY ticket_id) fr ON fr.ticket_id = t.id`,
    );
    step('ticket_facts');

    // the documents, in one statement, with the functions triage_reindex_ticket uses
    await tx.query(
      `INSERT INTO ticket_search (ticket_id, public_vector, agent_vector, created_at)
       SELECT t.id, d.doc || triage_comment_doc(c.pub), d.doc || triage_comment_doc(c.pub) || triage_comment_doc(c.internal), t.created_at
         FROM tickets t
         CROSS JOIN LATERAL (SELECT triage_ticket_doc(t.subject, t.description) AS doc) d
         LEFT JOIN (SELECT ticket_id,
                           string_agg(left(content, 100000), E'\\n' ORDER BY seq) FILTER (WHERE NOT is_internal) AS pub,
                           string_agg(left(content, 100000), E'\\n' ORDER BY seq) FILTER (WHERE is_internal) AS internal
                      FROM ticket_comments GROUP BY ticket_id) c ON c.ticket_id = t.id`,
    );
    step('ticket_search documents');

    for (const ix of indexes) await tx.query(ix.def);
    step(`${indexes.length} indexes rebuilt`);
    // the agents' loads, which the disabled triggers did not keep
    await tx.query('SELECT triage_recount_agent_loads()');
    step('agent loads counted');
    for (const t of TRIGGER_TABLES) await tx.query(`ALTER TABLE ${t} ENABLE TRIGGER USER`);
  });
  await db.exec('VACUUM (ANALYZE)');
  step('VACUUM (ANALYZE)');

  const counts = (
    await db.query<{ tickets: number; comments: number; internal: number; last90: number }>(
      `SELECT (SELECT count(*) FROM tickets)::int AS tickets, (SELECT count(*) FROM ticket_comments)::int AS comments,
              (SELECT count(*) FROM ticket_comments WHERE is_internal)::int AS internal,
              (SELECT count(*) FROM tickets WHERE created_at >= $1::timestamptz - interval '90 days')::int AS last90`,
      [o.now],
    )
  ).rows[0];
  const statuses = Object.fromEntries(
    (await db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM tickets GROUP BY status ORDER BY 2 DESC')).rows.map((r) => [r.status, r.n]),
  );
  const sizesMiB = Object.fromEntries(
    (
      await db.query<{ t: string; mib: number }>(
        `SELECT t, pg_total_relation_size(t::regclass) / 1048576.0 AS mib FROM unnest(ARRAY['tickets','ticket_comments','ticket_search','ticket_facts']) t`,
      )
    ).rows.map((r) => [r.t, Math.round(Number(r.mib))]),
  );
  return {
    seconds: (performance.now() - t0) / 1000,
    steps,
    tickets: counts.tickets,
    comments: counts.comments,
    internalNotes: counts.internal,
    requesters: s.requesters,
    organizations: s.organizations,
    agents: s.agents,
    groups: GROUPS.length,
    statuses,
    last90Days: counts.last90,
    sizesMiB,
  };
}

/** Checks the generated rows against the triggers' definitions: facts and documents equal what the app would compute, for a sample. */
export async function checkConsistency(db: Db, sample = 200): Promise<{ checked: number; factMismatches: number; documentMismatches: number }> {
  const r = await db.query<{ checked: number; facts: number; docs: number }>(
    `WITH s AS (SELECT id FROM tickets ORDER BY number LIMIT $1::int)
     SELECT count(*)::int AS checked,
            count(*) FILTER (WHERE f.first_response_at IS DISTINCT FROM
              (SELECT min(c.created_at) FROM ticket_comments c WHERE c.ticket_id = s.id AND c.author_type = 'agent' AND NOT c.is_internal)
              OR f.created_at <> t.created_at
              OR f.resolved_at IS DISTINCT FROM CASE WHEN t.status IN ('resolved','closed') THEN t.resolved_at END
              OR (f.status, f.priority, f.category, f.assignee_id, f.group_id, f.source, f.tier)
                 IS DISTINCT FROM (t.status, t.priority, t.category::text, t.assignee_id, t.assignee_group_id, t.source, triage_requester_tier(t.requester_id)))::int AS facts,
            count(*) FILTER (WHERE ts.created_at <> t.created_at OR ts.agent_vector::text <> (
              triage_ticket_doc(t.subject, t.description)
              || triage_comment_doc((SELECT string_agg(left(c.content, 100000), E'\\n' ORDER BY c.seq) FROM ticket_comments c WHERE c.ticket_id = s.id AND NOT c.is_internal))
              || triage_comment_doc((SELECT string_agg(left(c.content, 100000), E'\\n' ORDER BY c.seq) FROM ticket_comments c WHERE c.ticket_id = s.id AND c.is_internal))
            )::text)::int AS docs
       FROM s JOIN tickets t ON t.id = s.id JOIN ticket_facts f ON f.ticket_id = s.id JOIN ticket_search ts ON ts.ticket_id = s.id`,
    [sample],
  );
  const x = r.rows[0];
  return { checked: x.checked, factMismatches: x.facts, documentMismatches: x.docs };
}
