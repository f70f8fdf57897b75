import { z } from 'zod';
import { IANAZone } from 'luxon';
import { Ticket } from './tickets.ts';

export const Timezone = z
  .string()
  .max(64)
  .refine((z) => IANAZone.isValidZone(z), 'Expected an IANA time zone such as Europe/Paris')
  .describe('IANA time zone in which dates (2026-01-31) are days; default UTC');

export const SearchQueryString = z.strictObject({
  query: z.string().max(1000).default('').describe('The search language: status:open,pending priority>=high assignee:me tag:vip -tag:spam created>2026-01-01 updated<7d "exact phrase" words …'),
  limit: z.coerce.number().int().min(1).max(10_000).default(20).describe('at most 200, or 10,000 with format=csv'),
  cursor: z.string().max(500).optional(),
  sortBy: z.enum(['relevance', 'createdAt', 'updatedAt', 'priority', 'dueDate', 'slaDue']).default('relevance').describe('relevance needs free text (else newest first); priority and slaDue desc = most urgent first'),
  sortOrder: z.enum(['asc', 'desc']).default('desc'),
  timezone: Timezone.optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

export const Highlights = z
  .object({ subject: z.string().optional(), description: z.string().optional(), comments: z.array(z.string()).optional() })
  .describe('Snippets with the matches in <mark>; everything else HTML-escaped');

export const SearchResult = z.object({
  tickets: z.array(Ticket.extend({ highlights: Highlights })),
  total: z.number().int(),
  totalIsEstimate: z.boolean().describe('true beyond 10,000 matches: total is then the planner’s estimate'),
  nextCursor: z.string().nullable(),
});

export const StatsQueryString = z.strictObject({ query: z.string().max(1000).default(''), timezone: Timezone.optional() });

export const Stats = z.object({
  total: z.number().int(),
  byStatus: z.record(z.string(), z.number().int()),
  byPriority: z.record(z.string(), z.number().int()),
  byCategory: z.record(z.string(), z.number().int()),
  byAssignee: z.record(z.string(), z.object({ name: z.string().nullable(), count: z.number().int() })).describe('by agent id ("unassigned" for none)'),
  byGroup: z.record(z.string(), z.number().int()).describe('by group slug ("none" for none)'),
});

export const SearchSettingsBody = z.strictObject({
  language: z.string().regex(/^[a-z_]{1,40}$/).describe('a text search dictionary: simple, english, german, french … (unaccent stays in front)'),
});
export const SearchSettings = z.object({ language: z.string(), available: z.array(z.string()), reindexed: z.number().int().optional() });
