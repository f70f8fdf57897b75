import { z } from 'zod';
import { Timezone } from './search.ts';

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}/, 'Expected an ISO 8601 date');

export const ReportQuery = z.strictObject({
  startDate: Day,
  endDate: Day.describe('inclusive: the whole of that day'),
  agentId: z.uuid().optional(),
  group: z.string().min(1).max(100).optional().describe("a group's slug"),
  timezone: Timezone.optional().describe('the zone whose local days the period and the daily series use (default UTC)'),
  format: z.enum(['json', 'csv']).default('json'),
});

const Rate = z.number().nullable().describe('percent; null when nothing counts');
const Minutes = z.number().nullable();
const TargetCompliance = z.object({ met: z.number().int(), breached: z.number().int(), rate: Rate });
const Sla = z.object({ firstResponse: TargetCompliance, nextResponse: TargetCompliance, resolution: TargetCompliance });

const TicketMetrics = z.object({
  total: z.number().int(),
  resolved: z.number().int(),
  averageResponseTime: Minutes,
  averageBusinessResponseTime: Minutes,
  medianFirstResponseMinutes: Minutes,
  p90FirstResponseMinutes: Minutes,
  medianBusinessFirstResponseMinutes: Minutes,
  averageResolutionTime: Minutes,
  medianResolutionMinutes: Minutes,
  p90ResolutionMinutes: Minutes,
  slaComplianceRate: Rate,
  sla: Sla,
  reopenRate: Rate,
  name: z.string().nullable().optional(),
});

export const TicketReport = z
  .object({
    period: z.object({ start: z.string(), end: z.string(), timezone: z.string() }),
    metrics: z.object({
      totalTickets: z.number().int(),
      newTickets: z.number().int(),
      openTickets: z.number().int(),
      pendingTickets: z.number().int(),
      resolvedTickets: z.number().int(),
      closedTickets: z.number().int(),
      averageResolutionTime: Minutes,
      averageResponseTime: Minutes,
      averageBusinessResponseTime: Minutes,
      slaComplianceRate: Rate,
      sla: Sla.nullable(),
      excludesPendingTime: z.boolean(),
    }),
    medianFirstResponseMinutes: Minutes,
    p90FirstResponseMinutes: Minutes,
    medianResolutionMinutes: Minutes,
    p90ResolutionMinutes: Minutes,
    reopenRate: Rate,
    byPriority: z.record(z.string(), TicketMetrics),
    byCategory: z.record(z.string(), TicketMetrics),
    byAgent: z.record(z.string(), TicketMetrics),
    byGroup: z.record(z.string(), TicketMetrics),
    byChannel: z.record(z.string(), TicketMetrics),
    byTier: z.record(z.string(), TicketMetrics),
    daily: z.array(z.object({ date: z.string(), created: z.number().int(), resolved: z.number().int(), backlog: z.number().int() })),
  })
  .describe('Times in minutes; tickets created in the period');
