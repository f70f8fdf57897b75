import { resolve } from 'node:path';

/** Which roles this process runs (DESIGN.md: one binary, three roles). */
export type Role = 'web' | 'worker' | 'mail';

export interface Config {
  port: number;
  host: string;
  /** Embedded database folder and attachment store. */
  dataDir: string;
  /** When set, PostgreSQL server instead of embedded PGlite. */
  databaseUrl?: string;
  /** Pool size per process when on a PostgreSQL server. */
  databasePoolSize: number;
  adminEmail?: string;
  adminPassword?: string;
  /** Largest accepted attachment, in bytes (413 above). */
  attachmentMaxBytes: number;
  /** Largest accepted JSON body, in bytes (413 above). */
  bodyLimitBytes: number;
  /** Session lifetime in seconds. */
  sessionTtlSeconds: number;
  /** Secure flag on the session cookie (set when served over HTTPS). */
  cookieSecure: boolean;
  /** Login attempts allowed per IP and minute. */
  loginRateLimit: number;
  logLevel: string;
  /** SEED_DEMO: seed demo data on start when the database has no tickets (off by default). */
  seedDemo: boolean;
  /** SEED_DEMO_TICKETS: how many tickets that demo data has. */
  seedDemoTickets: number;
  /** TRUST_PROXY: trust X-Forwarded-* from a reverse proxy (true, or a list of proxy addresses) for the client IP. */
  trustProxy: boolean | string;
  /** AUTH_CACHE_SECONDS: how long a checked API token is remembered in-process (0 = ask the database every time). */
  authCacheSeconds: number;
  /** SHUTDOWN_TIMEOUT_MS: how long a SIGTERM waits for in-flight requests before closing their connections. */
  shutdownTimeoutMs: number;
  /** SLA_WEBHOOK_URL: where SLA breach notifications are POSTed as JSON (unset: logged only). */
  slaWebhookUrl?: string;
  /** ROUTING_SWEEP_SECONDS: how often the routing sweep fills free agents from the queue (0 = never). */
  routingSweepSeconds: number;
  /** JOBS_POLL_SECONDS: how often an idle worker looks for due jobs (at least 0.5; a due job starts within this). */
  jobsPollSeconds: number;
  /** TRIAGE_TEST_JOBS: also run the test-only `test.record` job kind (for the process tests; never in production). */
  testJobs: boolean;
  /** TRIAGE_ROLES: `web` serves HTTP, `worker` runs the job queue, `mail` (later) the mail listeners. */
  roles: Role[];
  /** SMTP_PORT: the inbound SMTP listener's port (unset: no listener). */
  smtpPort?: number;
  /** SMTP_HOST: the address the inbound SMTP listener binds (default 127.0.0.1: behind a relay/MX). */
  smtpHost: string;
  /** SMTP_MAX_BYTES: largest inbound message, in bytes (552 above). */
  smtpMaxBytes: number;
  /** SMTP_TLS_KEY / SMTP_TLS_CERT: PEM files (private key, certificate chain); both set: the SMTP listener offers STARTTLS. */
  smtpTlsKey?: string;
  smtpTlsCert?: string;
  /** SMTP_REQUIRE_TLS: refuse MAIL FROM (530) until the client has issued STARTTLS; needs SMTP_TLS_KEY and SMTP_TLS_CERT. */
  smtpRequireTls: boolean;
  /** SPAMD_URL: `spamd://host:port` of SpamAssassin's spamd; every inbound message is checked when set. */
  spamdUrl?: string;
  /** IMAP_POLL_SECONDS: how often an IMAP mailbox without IDLE is polled, and how often the list of IMAP mailboxes is re-read. */
  imapPollSeconds: number;
  /** SMTP_OUTBOUND_URL: the default relay for outbound mail (e.g. smtp://127.0.0.1:2525) when a mailbox has no outbound settings. */
  smtpOutboundUrl?: string;
  /** TRIAGE_SECRET_KEY: 32 bytes (base64 or hex) sealing mailbox passwords and signing reply addresses; unset: DATA_DIR/secret.key. */
  secretKey?: string;
  /** PUBLIC_URL: the base URL people reach Triage at (e.g. https://help.example.com), no trailing slash; unset: the portal's links use the request's origin. */
  publicUrl?: string;
}

function int(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

function seconds(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number of seconds of at least ${min}, got "${value}"`);
  return n;
}

const ROLES: Role[] = ['web', 'worker', 'mail'];

/** TRIAGE_ROLES: a comma-separated list; unset or empty means every role. */
function roles(value: string | undefined): Role[] {
  if (value === undefined || value.trim() === '') return [...ROLES];
  const list = value.split(',').map((r) => r.trim()).filter(Boolean);
  if (!list.length) throw new Error(`TRIAGE_ROLES names no role, got "${value}"`);
  for (const r of list) if (!ROLES.includes(r as Role)) throw new Error(`TRIAGE_ROLES: unknown role "${r}" (known: ${ROLES.join(', ')})`);
  return [...new Set(list)] as Role[];
}

function bool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

/** TRUST_PROXY: a yes/no word, or the proxies' addresses (passed on to Fastify). */
function trustProxy(value: string | undefined): boolean | string {
  if (value === undefined || value.trim() === '') return false;
  const word = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(word)) return true;
  if (['0', 'false', 'no', 'off'].includes(word)) return false;
  return value.trim();
}

/** SPAMD_URL: checked at start so a typo fails loudly instead of at the first message. */
function spamdUrl(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^spamd:\/\/[^/:]+(:\d+)?\/?$/.test(value.trim())) throw new Error(`SPAMD_URL must look like spamd://host:port, got "${value}"`);
  return value.trim();
}

/** SMTP_TLS_KEY, SMTP_TLS_CERT, SMTP_REQUIRE_TLS: both files or neither; requiring TLS without them fails at start. */
function smtpTls(env: NodeJS.ProcessEnv): Pick<Config, 'smtpTlsKey' | 'smtpTlsCert' | 'smtpRequireTls'> {
  const key = env.SMTP_TLS_KEY?.trim() || undefined;
  const cert = env.SMTP_TLS_CERT?.trim() || undefined;
  const requireTls = bool(env.SMTP_REQUIRE_TLS, false);
  if (!key !== !cert) throw new Error(`SMTP_TLS_KEY and SMTP_TLS_CERT must be set together (only ${key ? 'SMTP_TLS_KEY' : 'SMTP_TLS_CERT'} is set)`);
  if (requireTls && !key) throw new Error('SMTP_REQUIRE_TLS needs SMTP_TLS_KEY and SMTP_TLS_CERT');
  return { smtpTlsKey: key && resolve(key), smtpTlsCert: cert && resolve(cert), smtpRequireTls: requireTls };
}

/** PUBLIC_URL: an http(s) URL, checked at start; kept without its trailing slash. */
function publicUrl(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(v)) throw new Error(`PUBLIC_URL must be an http(s) URL like https://help.example.com, got "${value}"`);
  return v;
}

/** Reads the configuration from the environment; throws with the variable's name on a bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: int('PORT', env.PORT, 3000),
    host: env.HOST || '0.0.0.0',
    // an empty DATA_DIR means the default, not the current directory
    dataDir: resolve(env.DATA_DIR || './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    databasePoolSize: int('DATABASE_POOL_SIZE', env.DATABASE_POOL_SIZE, 10),
    adminEmail: env.ADMIN_EMAIL || undefined,
    adminPassword: env.ADMIN_PASSWORD || undefined,
    attachmentMaxBytes: int('ATTACHMENT_MAX_BYTES', env.ATTACHMENT_MAX_BYTES, 25 * 1024 * 1024),
    bodyLimitBytes: int('BODY_LIMIT_BYTES', env.BODY_LIMIT_BYTES, 10 * 1024 * 1024),
    sessionTtlSeconds: int('SESSION_TTL_SECONDS', env.SESSION_TTL_SECONDS, 7 * 24 * 3600),
    cookieSecure: bool(env.COOKIE_SECURE, false),
    loginRateLimit: int('LOGIN_RATE_LIMIT', env.LOGIN_RATE_LIMIT, 10),
    logLevel: env.LOG_LEVEL || 'info',
    seedDemo: bool(env.SEED_DEMO, false),
    seedDemoTickets: int('SEED_DEMO_TICKETS', env.SEED_DEMO_TICKETS, 20_000),
    authCacheSeconds: int('AUTH_CACHE_SECONDS', env.AUTH_CACHE_SECONDS, 5),
    trustProxy: trustProxy(env.TRUST_PROXY),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', env.SHUTDOWN_TIMEOUT_MS, 30_000),
    slaWebhookUrl: env.SLA_WEBHOOK_URL || undefined,
    routingSweepSeconds: int('ROUTING_SWEEP_SECONDS', env.ROUTING_SWEEP_SECONDS, 15),
    jobsPollSeconds: seconds('JOBS_POLL_SECONDS', env.JOBS_POLL_SECONDS, 1, 0.5),
    testJobs: bool(env.TRIAGE_TEST_JOBS, false),
    roles: roles(env.TRIAGE_ROLES),
    smtpPort: env.SMTP_PORT ? int('SMTP_PORT', env.SMTP_PORT, 0) : undefined,
    smtpHost: env.SMTP_HOST || '127.0.0.1',
    smtpMaxBytes: int('SMTP_MAX_BYTES', env.SMTP_MAX_BYTES, 25 * 1024 * 1024),
    ...smtpTls(env),
    spamdUrl: spamdUrl(env.SPAMD_URL),
    imapPollSeconds: seconds('IMAP_POLL_SECONDS', env.IMAP_POLL_SECONDS, 60, 1),
    smtpOutboundUrl: env.SMTP_OUTBOUND_URL?.trim() || undefined,
    secretKey: env.TRIAGE_SECRET_KEY?.trim() || undefined,
    publicUrl: publicUrl(env.PUBLIC_URL),
  };
}
