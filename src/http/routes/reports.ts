import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { buildReport, reportCsv } from '../../domain/search/reports.ts';
import { ctxOf, type Deps } from '../helpers.ts';
import { problems } from '../schemas/common.ts';
import { ReportQuery, TicketReport } from '../schemas/reports.ts';
import { sendCsv } from './search.ts';

export async function reportRoutes(app: FastifyInstance, deps: Deps) {
  app.withTypeProvider<ZodTypeProvider>().get('/reports', {
    schema: {
      tags: ['reports'], summary: 'Support report for tickets created in a period (first response, resolution, SLA compliance, reopens, daily backlog); format=csv',
      querystring: ReportQuery, response: { 200: TicketReport, ...problems(400, 401) },
    },
  }, async (req, reply) => {
    const { format, ...input } = req.query;
    const report = await buildReport(ctxOf(deps, req), input);
    if (format === 'csv') return sendCsv(reply, 'report', reportCsv(report));
    return report;
  });
}
