import type { paths } from '../api/schema';

/** The admin screens' types, all read from the server's OpenAPI document (web/src/api/schema.d.ts). */
type Json<P extends keyof paths, M extends 'get' | 'post' | 'put' | 'patch', S extends number = 200> =
  paths[P][M] extends { responses: { [K in S]: { content: { 'application/json': infer T } } } } ? T : never;
type Body<P extends keyof paths, M extends 'post' | 'put' | 'patch'> =
  paths[P][M] extends { requestBody?: { content: { 'application/json': infer T } } } ? T : never;

export type AgentRow = Json<'/api/v1/agents', 'get'>['agents'][number];
export type CreateAgent = Body<'/api/v1/agents', 'post'>;
export type GroupRow = Json<'/api/v1/groups', 'get'>['groups'][number];
export type Rule = Json<'/api/v1/assignment-rules', 'get'>['rules'][number];
export type CreateRule = Body<'/api/v1/assignment-rules', 'post'>;
export type RuleConditions = NonNullable<CreateRule['conditions']>;
export type ActionType = CreateRule['action']['type'];
export type Simulation = Json<'/api/v1/routing/simulate', 'post'>;
export type SimulateBody = Body<'/api/v1/routing/simulate', 'post'>;
export type CategorySkills = Json<'/api/v1/category-skills', 'get'>['categorySkills'][number];
export type SlaPolicy = Json<'/api/v1/sla-policies', 'get'>['policies'][number];
export type CreateSlaPolicy = Body<'/api/v1/sla-policies', 'post'>;
/** a calendar (its hours as the client's data types them: lists of [from, to]) */
export type Calendar = Omit<Json<'/api/v1/calendars', 'get'>['calendars'][number], 'hours'> & { hours: Record<Weekday, string[][]> };
export type CreateCalendar = Body<'/api/v1/calendars', 'post'>;
export type Mailbox = Json<'/api/v1/mailboxes', 'get'>['mailboxes'][number];
export type CreateMailbox = Body<'/api/v1/mailboxes', 'post'>;
export type AutoResponse = Json<'/api/v1/auto-responses', 'get'>['autoResponses'][number];
export type PrioritySettings = Json<'/api/v1/settings/priority', 'get'>;
export type RoutingSettings = Json<'/api/v1/settings/routing', 'get'>;
export type ApiToken = Json<'/api/v1/api-tokens', 'get'>['tokens'][number];
export type Job = Json<'/api/v1/admin/jobs', 'get'>['jobs'][number];
export type InboundFailure = Json<'/api/v1/admin/inbound-failures', 'get'>['failures'][number];
export type Suspended = Json<'/api/v1/admin/suspended', 'get'>['messages'][number];

export const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const TIERS = ['free', 'standard', 'premium', 'enterprise'] as const;
export const SOURCES = ['email', 'web', 'chat', 'api', 'phone'] as const;
export const ROLES = ['agent', 'supervisor', 'admin'] as const;
export const PRESENCE = ['online', 'away', 'busy', 'offline'] as const;
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** "2026-11-29T08:00:00Z" → the browser's short local date and time. */
export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' }) : '—');
