import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.ts';
import { createLogger } from '../platform/logger.ts';
import { systemClock } from '../platform/clock.ts';
import { DataDirLockedError } from '../db/client.ts';
import { openAndMigrate, startServer } from '../server.ts';
import { ensureAdmin } from '../domain/auth/commands.ts';
import { SYSTEM_ACTOR } from '../domain/context.ts';

const USAGE = `Usage: triage <command> [options]

Commands:
  start                      run Triage (HTTP API; roles from TRIAGE_ROLES)
  migrate                    apply pending database migrations and exit
  create-admin --email E --password P [--name N]
                             create an admin (does nothing if the e-mail exists)
  seed-demo [--tickets N] [--seed S]
                             fill an empty database with realistic demo data

Configuration comes from the environment; see README.md.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  switch (command) {
    case 'start': {
      const running = await startServer(config, { logger });
      const shutdown = (signal: string) => {
        logger.info({ signal }, 'shutting down');
        running.stop().then(
          () => process.exit(0),
          (err) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
      return -1; // keep running
    }
    case 'migrate': {
      const db = await openAndMigrate(config, logger, (applied) => {
        console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}.` : 'No pending migrations.');
      });
      await db.close();
      console.log('Database is up to date.');
      return 0;
    }
    case 'create-admin': {
      const { values } = parseArgs({ args: rest, options: { email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' } } });
      if (!values.email || !values.password) {
        console.error('create-admin needs --email and --password');
        return 2;
      }
      const db = await openAndMigrate(config, logger);
      try {
        const result = await ensureAdmin({ db, clock: systemClock, actor: SYSTEM_ACTOR }, { email: values.email, password: values.password, name: values.name });
        console.log(result === 'created' ? `Admin ${values.email} created.` : `An agent with e-mail ${values.email} already exists; nothing changed.`);
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'seed-demo': {
      const { values } = parseArgs({ args: rest, options: { tickets: { type: 'string' }, seed: { type: 'string' } } });
      const tickets = values.tickets === undefined ? undefined : Number(values.tickets);
      const seed = values.seed === undefined ? undefined : Number(values.seed);
      if ((tickets !== undefined && !(Number.isInteger(tickets) && tickets > 0)) || (seed !== undefined && !Number.isInteger(seed))) {
        console.error('seed-demo: --tickets must be a positive integer and --seed an integer');
        return 2;
      }
      const { seedDemo, describeSeed, DemoDataExistsError } = await import('./seed-demo.ts');
      const db = await openAndMigrate(config, logger);
      try {
        console.log(`Seeding demo data into ${db.kind === 'pglite' ? config.dataDir : 'the PostgreSQL database'}…`);
        console.log(describeSeed(await seedDemo(db, systemClock, { tickets, seed, progress: process.stderr.isTTY })));
      } catch (err) {
        if (!(err instanceof DemoDataExistsError)) throw err;
        console.error(`triage seed-demo: ${err.message}`);
        return 1;
      } finally {
        await db.close();
      }
      return 0;
    }
    default:
      console.log(USAGE);
      return command && command !== 'help' && command !== '--help' ? 2 : 0;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    if (err instanceof DataDirLockedError) {
      console.error(`triage: ${err.message}`);
      process.exit(3);
    }
    console.error('triage:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
