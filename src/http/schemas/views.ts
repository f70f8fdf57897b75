import { z } from 'zod';
import { Timezone } from './search.ts';

const SortBy = z.enum(['relevance', 'createdAt', 'updatedAt', 'priority', 'dueDate', 'slaDue']);

export const CreateViewBody = z.strictObject({
  name: z.string().trim().min(1).max(255),
  query: z.string().max(1000),
  columns: z.array(z.string().min(1).max(50)).max(30).optional(),
  sortBy: SortBy.optional(),
  sortOrder: z.enum(['asc', 'desc']).optional(),
  visibility: z.enum(['personal', 'group', 'all']),
  group: z.string().min(1).max(100).optional().describe("the group's slug, for visibility 'group'"),
});

export const View = z.object({
  id: z.string(),
  name: z.string(),
  query: z.string(),
  columns: z.array(z.string()),
  sortBy: SortBy,
  sortOrder: z.enum(['asc', 'desc']),
  visibility: z.enum(['personal', 'group', 'all', 'builtin']),
  group: z.string().nullable(),
  ownerId: z.string().nullable(),
});

export const ViewWithCount = View.extend({ count: z.number().int(), countIsEstimate: z.boolean() });

export const ViewParams = z.strictObject({ id: z.string().min(1).max(64) });

export const ViewTicketsQuery = z.strictObject({
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(20),
  timezone: Timezone.optional(),
  format: z.enum(['json', 'csv']).default('json'),
});
