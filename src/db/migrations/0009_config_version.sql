-- A version number for the configuration (settings, assignment rules, category skills, SLA
-- policies, calendars, mailboxes, auto-responses): every write to those tables moves it, in the
-- writing transaction. Each process keeps what it derived from them (Db.cached in
-- src/db/client.ts) and reads only this one row per transaction to know whether that is still
-- current — on a PostgreSQL server in the same round trip as BEGIN — so that creating a ticket
-- no longer reads rules, settings and policies every time, and several processes on one database
-- still never act on stale configuration. The numbers come from a sequence: one is never reused,
-- even when the transaction that took it rolls back.
CREATE SEQUENCE config_version_seq;

CREATE TABLE config_version (
  id      boolean PRIMARY KEY DEFAULT true CHECK (id),
  version bigint NOT NULL
);
INSERT INTO config_version (version) VALUES (nextval('config_version_seq'));

CREATE FUNCTION triage_bump_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE config_version SET version = nextval('config_version_seq');
  RETURN NULL;
END
$$;

-- the tables of CONFIG_TABLES in src/db/client.ts
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['settings', 'assignment_rules', 'category_skills', 'sla_policies', 'calendars', 'mailboxes', 'auto_responses'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                      FOR EACH STATEMENT EXECUTE FUNCTION triage_bump_config_version()', t || '_config_version', t);
  END LOOP;
END
$$;
