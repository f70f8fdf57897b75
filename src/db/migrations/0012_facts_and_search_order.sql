-- 1. Reports read ticket_facts alone. The 90-day report over a million tickets (160,000 in the
-- period) spent a second joining the whole ticket table, requesters and organizations and
-- probing ticket_sla and sla_events once per ticket and target (bench:search, 2026-11-29:
-- 2.8 s at p95). The facts now carry what a report groups and counts by — the ticket's status,
-- priority, category, assignee, group, channel, the requester's tier, and each SLA target's
-- outcome — kept current by triggers in the transaction of the write, like the rest of the
-- facts: a report over the period is one range scan of ticket_facts.
ALTER TABLE ticket_facts
  ADD COLUMN status               text,
  ADD COLUMN priority             text,
  ADD COLUMN category             text,
  ADD COLUMN assignee_id          uuid,
  ADD COLUMN group_id             uuid,
  ADD COLUMN source               text,
  -- the requester's tier, else their organization's, else standard (as it is now, not as it was)
  ADD COLUMN tier                 text,
  -- the first-response target's elapsed business minutes once it stopped (ticket_sla.targets)
  ADD COLUMN frt_business_minutes double precision,
  -- each target's outcome: 'breached' once a breach was recorded or its state says so, 'met' when
  -- it ended in time, NULL while it runs or when no policy applies
  ADD COLUMN fr_outcome           text,
  ADD COLUMN nr_outcome           text,
  ADD COLUMN res_outcome          text;

-- The tier a report counts a requester's tickets under.
CREATE FUNCTION triage_requester_tier(rid uuid) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(r.tier, o.tier, 'standard')
    FROM requesters r LEFT JOIN organizations o ON o.id = r.organization_id
   WHERE r.id = rid $$;

-- One target's outcome from the ticket's SLA targets and its recorded breaches.
CREATE FUNCTION triage_sla_outcome(tid uuid, target text, targets jsonb) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN EXISTS (SELECT 1 FROM sla_events e WHERE e.ticket_id = tid AND e.target = $2 AND e.kind = 'breach') THEN 'breached'
    ELSE (SELECT x->>'status' FROM jsonb_array_elements(coalesce(targets, '[]')) x
           WHERE x->>'target' = $2 AND x->>'status' IN ('met', 'breached') LIMIT 1)
  END $$;

-- Writes one ticket's SLA columns of the facts (after its ticket_sla row or a breach changed).
CREATE FUNCTION triage_refresh_fact_sla(tid uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  tg jsonb := (SELECT s.targets FROM ticket_sla s WHERE s.ticket_id = tid);
BEGIN
  UPDATE ticket_facts SET
    frt_business_minutes = (SELECT (x->>'elapsedMinutes')::float8 FROM jsonb_array_elements(coalesce(tg, '[]')) x
                             WHERE x->>'target' = 'first_response' AND x->>'stoppedAt' IS NOT NULL LIMIT 1),
    fr_outcome = triage_sla_outcome(tid, 'first_response', tg),
    nr_outcome = triage_sla_outcome(tid, 'next_response', tg),
    res_outcome = triage_sla_outcome(tid, 'resolution', tg)
  WHERE ticket_id = tid;
END $$;

-- After a ticket's SLA row changes, or a breach of it is recorded.
CREATE FUNCTION triage_on_sla_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM triage_refresh_fact_sla(CASE WHEN TG_OP = 'DELETE' THEN OLD.ticket_id ELSE NEW.ticket_id END);
  RETURN NULL;
END $$;
CREATE TRIGGER ticket_sla_facts AFTER INSERT OR UPDATE OF targets OR DELETE ON ticket_sla
  FOR EACH ROW EXECUTE FUNCTION triage_on_sla_write();
CREATE TRIGGER sla_events_facts AFTER INSERT ON sla_events
  FOR EACH ROW WHEN (NEW.kind = 'breach') EXECUTE FUNCTION triage_on_sla_write();

-- 2. Search: a relevance search ranks the newest matches, and a search sorted by date pages
-- through matches newest first. Both ordered the matches by the ticket's creation, so every
-- match cost a lookup of its ticket: a word in 7,000 of a million tickets took 90–130 ms, more
-- for commoner words (bench:search, 2026-11-29: free text p95 231 ms). The document carries
-- its ticket's creation instant (which never changes), indexed: the newest matches come
-- from ticket_search alone.
ALTER TABLE ticket_search ADD COLUMN created_at timestamptz;
UPDATE ticket_search s SET created_at = t.created_at FROM tickets t WHERE t.id = s.ticket_id;
ALTER TABLE ticket_search ALTER COLUMN created_at SET NOT NULL;
CREATE INDEX ticket_search_created_idx ON ticket_search (created_at);

-- A document written without it (triage_reindex_ticket re-creating a missing row) takes the ticket's.
CREATE FUNCTION triage_search_created_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.created_at := (SELECT t.created_at FROM tickets t WHERE t.id = NEW.ticket_id);
  RETURN NEW;
END $$;
CREATE TRIGGER ticket_search_created_at BEFORE INSERT ON ticket_search
  FOR EACH ROW WHEN (NEW.created_at IS NULL) EXECUTE FUNCTION triage_search_created_at();

-- A new ticket's document carries its creation instant, and its facts its dimensions, from the
-- start (no second write of either row).
CREATE OR REPLACE FUNCTION triage_on_ticket_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  doc tsvector;
BEGIN
  IF TG_OP = 'INSERT' THEN
    doc := triage_ticket_doc(NEW.subject, NEW.description);
    INSERT INTO ticket_search (ticket_id, public_vector, agent_vector, created_at)
    VALUES (NEW.id, doc, doc, NEW.created_at)
    ON CONFLICT (ticket_id) DO NOTHING;
    INSERT INTO ticket_facts (ticket_id, created_at, resolved_at, done_at, pending_since,
                              status, priority, category, assignee_id, group_id, source, tier)
    VALUES (NEW.id, NEW.created_at, NEW.resolved_at,
            CASE WHEN NEW.status IN ('resolved', 'closed') THEN NEW.resolved_at WHEN NEW.status = 'cancelled' THEN NEW.created_at END,
            CASE WHEN NEW.status = 'pending' THEN NEW.created_at END,
            NEW.status, NEW.priority, NEW.category, NEW.assignee_id, NEW.assignee_group_id, NEW.source,
            triage_requester_tier(NEW.requester_id))
    ON CONFLICT (ticket_id) DO NOTHING;
  ELSE
    PERFORM triage_reindex_ticket(NEW.id);
  END IF;
  RETURN NULL;
END $$;

-- A changed ticket moves its dimensions (the tier only when the requester changed).
CREATE FUNCTION triage_on_ticket_dims() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ticket_facts SET
    status = NEW.status, priority = NEW.priority, category = NEW.category, assignee_id = NEW.assignee_id,
    group_id = NEW.assignee_group_id, source = NEW.source,
    tier = CASE WHEN NEW.requester_id IS DISTINCT FROM OLD.requester_id THEN triage_requester_tier(NEW.requester_id) ELSE tier END
  WHERE ticket_id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER tickets_facts_dims AFTER UPDATE OF status, priority, category, assignee_id, assignee_group_id, source, requester_id ON tickets
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.priority IS DISTINCT FROM NEW.priority
    OR OLD.category IS DISTINCT FROM NEW.category OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id
    OR OLD.assignee_group_id IS DISTINCT FROM NEW.assignee_group_id OR OLD.source IS DISTINCT FROM NEW.source
    OR OLD.requester_id IS DISTINCT FROM NEW.requester_id)
  EXECUTE FUNCTION triage_on_ticket_dims();

-- A requester's or an organization's tier change moves the tier of their tickets' facts.
CREATE FUNCTION triage_on_requester_tier() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ticket_facts f SET tier = triage_requester_tier(NEW.id)
    FROM tickets t WHERE t.requester_id = NEW.id AND f.ticket_id = t.id;
  RETURN NULL;
END $$;
CREATE TRIGGER requesters_facts_tier AFTER UPDATE OF tier, organization_id ON requesters
  FOR EACH ROW WHEN (OLD.tier IS DISTINCT FROM NEW.tier OR OLD.organization_id IS DISTINCT FROM NEW.organization_id)
  EXECUTE FUNCTION triage_on_requester_tier();

CREATE FUNCTION triage_on_organization_tier() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ticket_facts f SET tier = coalesce(NEW.tier, 'standard')
    FROM tickets t JOIN requesters r ON r.id = t.requester_id
   WHERE r.organization_id = NEW.id AND r.tier IS NULL AND f.ticket_id = t.id;
  RETURN NULL;
END $$;
CREATE TRIGGER organizations_facts_tier AFTER UPDATE OF tier ON organizations
  FOR EACH ROW WHEN (OLD.tier IS DISTINCT FROM NEW.tier)
  EXECUTE FUNCTION triage_on_organization_tier();

-- Existing tickets.
UPDATE ticket_facts f SET
  status = t.status, priority = t.priority, category = t.category, assignee_id = t.assignee_id,
  group_id = t.assignee_group_id, source = t.source, tier = coalesce(r.tier, o.tier, 'standard')
  FROM tickets t JOIN requesters r ON r.id = t.requester_id LEFT JOIN organizations o ON o.id = r.organization_id
 WHERE f.ticket_id = t.id;
SELECT triage_refresh_fact_sla(s.ticket_id) FROM ticket_sla s;
SELECT triage_refresh_fact_sla(e.ticket_id) FROM (SELECT DISTINCT ticket_id FROM sla_events WHERE kind = 'breach') e
 WHERE NOT EXISTS (SELECT 1 FROM ticket_sla s WHERE s.ticket_id = e.ticket_id);
