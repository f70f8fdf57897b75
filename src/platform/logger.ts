import pino, { type Logger } from 'pino';

/** Structured JSON logs; request ids are added by the HTTP layer. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'triage' }, timestamp: pino.stdTimeFunctions.isoTime });
}
export type { Logger };
