-- Live updates (issue 7) from the data: every statement that writes tickets or ticket_comments,
-- in any process and through any path (HTTP, e-mail ingest, routing, SLA jobs, bulk changes),
-- appends its events to live_events in its own transaction, so a rolled-back change leaves
-- nothing. Every web process reads the rows committed since its last look (live-hub.ts).
--
-- Why a table and not pg_notify from the triggers: a transaction that NOTIFYs takes one
-- cluster-wide lock from before its commit record until the commit is flushed, so all
-- notifying commits run one at a time (PostgreSQL 15). pgbench, 16 clients, one-row insert
-- transactions: quiet machine 11,300 tx/s plain, 3,400 with a NOTIFY; under load from other
-- processes, with a statement trigger doing nothing / appending this table's row / sending a
-- NOTIFY, 4,400–5,900, 1,700–5,000 and 380–670 tx/s (a preempted lock holder stalls every
-- committer). Appending a row takes no shared lock and writes no WAL (UNLOGGED: after a crash
-- the table is empty, which live events can afford).
--
-- A row holds the events of one statement as a JSON array of {ticketId, kind} (kind:
-- created, updated or commented) and the id of the transaction that wrote it. A reader takes
-- the rows its snapshot sees and its previous look's snapshot did not (pg_visible_in_snapshot):
-- each committed row is read exactly once, however late its transaction commits, and a long
-- transaction delays only its own events. Statement-level triggers with
-- transition tables: one row per statement, however many tickets it touched. A ticket is
-- announced once per transaction, with its strongest kind (created, then commented, then
-- updated: a create that also routes is `created`, a comment that bumps the ticket's version or
-- a reply that reopens it is `commented`): the tickets already written, with their kind, are
-- kept in the transaction-local setting triage.live_sent, up to 200 of them.

CREATE UNLOGGED TABLE live_events (
  xid     xid8  NOT NULL DEFAULT pg_current_xact_id(),
  events  jsonb NOT NULL
);
CREATE INDEX live_events_xid_idx ON live_events (xid);

CREATE FUNCTION triage_live_send(ids uuid[], kind text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  -- "<ticket id>:<rank>," for each ticket this transaction has announced
  sent text := coalesce(current_setting('triage.live_sent', true), '');
  rank int := CASE kind WHEN 'created' THEN 3 WHEN 'commented' THEN 2 ELSE 1 END;
  fresh uuid[];
  raised uuid[];
  id uuid;
BEGIN
  SELECT array_agg(DISTINCT x.id) FILTER (WHERE x.p = 0),
         array_agg(DISTINCT x.id) FILTER (WHERE x.p > 0 AND substr(sent, x.p + 37, 1)::int < rank)
    INTO fresh, raised
    FROM (SELECT u AS id, CASE WHEN sent = '' THEN 0 ELSE strpos(sent, u::text) END AS p FROM unnest(ids) u) x;
  IF fresh IS NOT NULL THEN
    IF length(sent) < 200 * 39 THEN
      sent := sent || array_to_string(ARRAY(SELECT f || ':' || rank FROM unnest(fresh) f), ',') || ',';
    END IF;
    INSERT INTO live_events (events)
      SELECT jsonb_agg(jsonb_build_object('ticketId', f, 'kind', kind)) FROM unnest(fresh) f;
  END IF;
  IF raised IS NOT NULL THEN
    -- a stronger kind later in the transaction (a reply that first reopens the ticket is
    -- `commented`): this transaction's own rows take it instead of announcing the ticket twice
    UPDATE live_events l
       SET events = (SELECT jsonb_agg(CASE WHEN (e->>'ticketId')::uuid = ANY(raised) THEN jsonb_set(e, '{kind}', to_jsonb(kind)) ELSE e END)
                       FROM jsonb_array_elements(l.events) e)
     WHERE l.xid = pg_current_xact_id()
       AND l.events @> ANY(ARRAY(SELECT jsonb_build_array(jsonb_build_object('ticketId', r)) FROM unnest(raised) r));
    FOREACH id IN ARRAY raised LOOP
      sent := overlay(sent PLACING rank::text FROM strpos(sent, id::text) + 37 FOR 1);
    END LOOP;
  END IF;
  PERFORM set_config('triage.live_sent', sent, true);
END $$;

CREATE FUNCTION triage_live_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM triage_live_send(ARRAY(SELECT id FROM live_rows), CASE TG_OP WHEN 'INSERT' THEN 'created' ELSE 'updated' END);
  RETURN NULL;
END $$;

CREATE FUNCTION triage_live_comments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM triage_live_send(ARRAY(SELECT ticket_id FROM live_rows), CASE TG_OP WHEN 'INSERT' THEN 'commented' ELSE 'updated' END);
  RETURN NULL;
END $$;

-- a trigger with transition tables takes one event
CREATE TRIGGER tickets_live_insert AFTER INSERT ON tickets
  REFERENCING NEW TABLE AS live_rows FOR EACH STATEMENT EXECUTE FUNCTION triage_live_tickets();
CREATE TRIGGER tickets_live_update AFTER UPDATE ON tickets
  REFERENCING NEW TABLE AS live_rows FOR EACH STATEMENT EXECUTE FUNCTION triage_live_tickets();
CREATE TRIGGER ticket_comments_live_insert AFTER INSERT ON ticket_comments
  REFERENCING NEW TABLE AS live_rows FOR EACH STATEMENT EXECUTE FUNCTION triage_live_comments();
CREATE TRIGGER ticket_comments_live_update AFTER UPDATE ON ticket_comments
  REFERENCING NEW TABLE AS live_rows FOR EACH STATEMENT EXECUTE FUNCTION triage_live_comments();
