-- 0005 search and reports: full-text documents per ticket kept current by
-- triggers in the writing transaction, fuzzy requester matching, saved views,
-- and reporting facts (first response, resolution, pending time, reopens)
-- written as the commands write history and comments.

CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- unaccent(regdictionary, text) is only STABLE (the dictionary could change);
-- naming the dictionary explicitly makes it safe to declare IMMUTABLE, which an
-- index expression needs (requesters' trigram indexes below).
CREATE FUNCTION triage_unaccent(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;

-- The install's text search configuration. Default: `simple` (every language at
-- least matches its words) behind `unaccent` (café = cafe). An admin may switch
-- the stemmer (PUT /api/v1/search/settings), which re-maps this configuration and
-- rebuilds the documents: every query and trigger names `triage_search` only.
CREATE TEXT SEARCH CONFIGURATION triage_search (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION triage_search
  ALTER MAPPING FOR asciiword, word, hword, hword_part, asciihword, hword_asciipart, numword, numhword
  WITH unaccent, simple;

-- One document per ticket: subject (weight A), description (B), comments (C).
-- `public_vector` leaves internal notes out (what a requester may match);
-- `agent_vector` holds everything. Kept in its own table so the ticket row stays narrow.
CREATE TABLE ticket_search (
  ticket_id     uuid PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
  public_vector tsvector NOT NULL,
  agent_vector  tsvector NOT NULL
);
-- Serves free-text search by agents (GET /search, /tickets?query=, views).
CREATE INDEX ticket_search_agent_idx ON ticket_search USING gin (agent_vector);
-- Serves free-text search scoped to what a requester may see (no internal notes).
CREATE INDEX ticket_search_public_idx ON ticket_search USING gin (public_vector);

-- Inputs are capped: a tsvector holds at most 1 MB, and positions stop at 16,383 anyway.
CREATE FUNCTION triage_ticket_doc(subject text, description text) RETURNS tsvector
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT setweight(to_tsvector('triage_search', coalesce(left(subject, 1000), '')), 'A')
            || setweight(to_tsvector('triage_search', coalesce(left(description, 100000), '')), 'B') $$;

CREATE FUNCTION triage_comment_doc(content text) RETURNS tsvector
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT setweight(to_tsvector('triage_search', coalesce(left(content, 100000), '')), 'C') $$;

-- Rebuilds one ticket's document from its rows (after an edit, a deleted comment, a language change).
CREATE FUNCTION triage_reindex_ticket(tid uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  doc tsvector;
  pub tsvector;
  internal tsvector;
BEGIN
  SELECT triage_ticket_doc(t.subject, t.description) INTO doc FROM tickets t WHERE t.id = tid;
  IF NOT FOUND THEN RETURN; END IF;
  SELECT triage_comment_doc(string_agg(left(c.content, 100000), E'\n' ORDER BY c.seq) FILTER (WHERE NOT c.is_internal)),
         triage_comment_doc(string_agg(left(c.content, 100000), E'\n' ORDER BY c.seq) FILTER (WHERE c.is_internal))
    INTO pub, internal
    FROM ticket_comments c WHERE c.ticket_id = tid;
  BEGIN
    INSERT INTO ticket_search (ticket_id, public_vector, agent_vector)
    VALUES (tid, doc || pub, doc || pub || internal)
    ON CONFLICT (ticket_id) DO UPDATE SET public_vector = excluded.public_vector, agent_vector = excluded.agent_vector;
  EXCEPTION WHEN program_limit_exceeded THEN
    -- the comments' words overflow a tsvector (1 MB): the ticket keeps its subject and description
    INSERT INTO ticket_search (ticket_id, public_vector, agent_vector)
    VALUES (tid, doc, doc)
    ON CONFLICT (ticket_id) DO UPDATE SET public_vector = excluded.public_vector, agent_vector = excluded.agent_vector;
  END;
END $$;

-- Reporting facts, one row per ticket, written by the triggers below in the
-- transaction of the command that changed the ticket, so a report reads these
-- rows (and ticket_sla) and never scans comments or history.
CREATE TABLE ticket_facts (
  ticket_id         uuid PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
  created_at        timestamptz NOT NULL,
  -- the first public reply by an agent (notes and system messages do not count)
  first_response_at timestamptz,
  -- the final resolution: set on resolve, cleared by a reopen, kept by close
  resolved_at       timestamptz,
  -- when the ticket left the backlog (resolved or cancelled); cleared by a reopen
  done_at           timestamptz,
  -- time spent pending (waiting on the customer) in finished pending spans, seconds
  pending_seconds   double precision NOT NULL DEFAULT 0,
  pending_since     timestamptz,
  reopen_count      integer NOT NULL DEFAULT 0
);
-- Serves reports over tickets created in a period.
CREATE INDEX ticket_facts_created_idx ON ticket_facts (created_at);
-- Serves "resolved per day".
CREATE INDEX ticket_facts_resolved_idx ON ticket_facts (resolved_at) WHERE resolved_at IS NOT NULL;
-- Serves the backlog at a given instant (tickets done before it).
CREATE INDEX ticket_facts_done_idx ON ticket_facts (done_at) WHERE done_at IS NOT NULL;

CREATE FUNCTION triage_on_ticket_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  doc tsvector;
BEGIN
  IF TG_OP = 'INSERT' THEN
    doc := triage_ticket_doc(NEW.subject, NEW.description);
    INSERT INTO ticket_search (ticket_id, public_vector, agent_vector)
    VALUES (NEW.id, doc, doc)
    ON CONFLICT (ticket_id) DO NOTHING;
    INSERT INTO ticket_facts (ticket_id, created_at, resolved_at, done_at, pending_since)
    VALUES (NEW.id, NEW.created_at, NEW.resolved_at,
            CASE WHEN NEW.status IN ('resolved', 'closed') THEN NEW.resolved_at WHEN NEW.status = 'cancelled' THEN NEW.created_at END,
            CASE WHEN NEW.status = 'pending' THEN NEW.created_at END)
    ON CONFLICT (ticket_id) DO NOTHING;
  ELSE
    PERFORM triage_reindex_ticket(NEW.id);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets
  FOR EACH ROW EXECUTE FUNCTION triage_on_ticket_write();
CREATE TRIGGER tickets_search_update AFTER UPDATE OF subject, description ON tickets
  FOR EACH ROW WHEN (OLD.subject IS DISTINCT FROM NEW.subject OR OLD.description IS DISTINCT FROM NEW.description)
  EXECUTE FUNCTION triage_on_ticket_write();

CREATE FUNCTION triage_on_comment_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v tsvector := triage_comment_doc(NEW.content);
BEGIN
  -- appending is enough for a new comment; edits and deletes rebuild the document
  BEGIN
    UPDATE ticket_search
       SET agent_vector = agent_vector || v,
           public_vector = CASE WHEN NEW.is_internal THEN public_vector ELSE public_vector || v END
     WHERE ticket_id = NEW.ticket_id;
  EXCEPTION WHEN program_limit_exceeded THEN
    -- the document is full (a tsvector holds 1 MB: long pasted logs); the comment is kept,
    -- only its words are not added to the search document
    NULL;
  END;
  IF NEW.author_type = 'agent' AND NOT NEW.is_internal THEN
    UPDATE ticket_facts SET first_response_at = NEW.created_at
     WHERE ticket_id = NEW.ticket_id AND (first_response_at IS NULL OR first_response_at > NEW.created_at);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION triage_on_comment_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM triage_reindex_ticket(CASE WHEN TG_OP = 'DELETE' THEN OLD.ticket_id ELSE NEW.ticket_id END);
  RETURN NULL;
END $$;

CREATE TRIGGER ticket_comments_search_insert AFTER INSERT ON ticket_comments
  FOR EACH ROW EXECUTE FUNCTION triage_on_comment_insert();
CREATE TRIGGER ticket_comments_search_change AFTER UPDATE OF content, is_internal OR DELETE ON ticket_comments
  FOR EACH ROW EXECUTE FUNCTION triage_on_comment_change();

-- Status changes (history rows with field 'status') move the facts: pending
-- spans are summed, a resolve sets the resolution, a reopen clears it and counts.
CREATE FUNCTION triage_on_status_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  s_from text := NEW.changed_from->>'status';
  s_to   text := NEW.changed_to->>'status';
  reopen boolean := s_from = 'resolved' AND s_to NOT IN ('closed', 'resolved');
BEGIN
  UPDATE ticket_facts SET
    pending_seconds = pending_seconds + CASE WHEN s_from = 'pending' AND pending_since IS NOT NULL
                        THEN greatest(0, extract(epoch FROM NEW.created_at - pending_since)) ELSE 0 END,
    pending_since = CASE WHEN s_to = 'pending' THEN NEW.created_at WHEN s_from = 'pending' THEN NULL ELSE pending_since END,
    resolved_at = CASE WHEN s_to = 'resolved' THEN NEW.created_at WHEN reopen THEN NULL ELSE resolved_at END,
    done_at = CASE WHEN s_to IN ('resolved', 'cancelled') THEN NEW.created_at WHEN reopen THEN NULL ELSE done_at END,
    reopen_count = reopen_count + CASE WHEN reopen THEN 1 ELSE 0 END
  WHERE ticket_id = NEW.ticket_id;
  RETURN NULL;
END $$;

CREATE TRIGGER ticket_history_facts AFTER INSERT ON ticket_history
  FOR EACH ROW WHEN (NEW.field = 'status') EXECUTE FUNCTION triage_on_status_history();

-- Tickets written before this migration: documents and facts from their rows.
INSERT INTO ticket_search (ticket_id, public_vector, agent_vector)
SELECT t.id, triage_ticket_doc(t.subject, t.description), triage_ticket_doc(t.subject, t.description) FROM tickets t;
UPDATE ticket_search s SET
  public_vector = s.public_vector || triage_comment_doc(c.pub),
  agent_vector = s.agent_vector || triage_comment_doc(c.pub) || triage_comment_doc(c.internal)
FROM (SELECT ticket_id,
             string_agg(left(content, 100000), E'\n' ORDER BY seq) FILTER (WHERE NOT is_internal) AS pub,
             string_agg(left(content, 100000), E'\n' ORDER BY seq) FILTER (WHERE is_internal) AS internal
        FROM ticket_comments GROUP BY ticket_id HAVING sum(length(content)) < 200000) c
WHERE c.ticket_id = s.ticket_id;
-- long threads one by one: their words may overflow a tsvector, which triage_reindex_ticket survives
SELECT triage_reindex_ticket(ticket_id)
  FROM (SELECT ticket_id FROM ticket_comments GROUP BY ticket_id HAVING sum(length(content)) >= 200000) big;

INSERT INTO ticket_facts (ticket_id, created_at, first_response_at, resolved_at, done_at, pending_seconds, pending_since, reopen_count)
SELECT t.id, t.created_at,
       (SELECT min(c.created_at) FROM ticket_comments c WHERE c.ticket_id = t.id AND c.author_type = 'agent' AND NOT c.is_internal),
       CASE WHEN t.status IN ('resolved', 'closed') THEN t.resolved_at END,
       CASE WHEN t.status IN ('resolved', 'closed') THEN t.resolved_at
            WHEN t.status = 'cancelled' THEN coalesce(h.cancelled_at, t.updated_at) END,
       coalesce(h.pending_seconds, 0),
       CASE WHEN t.status = 'pending' THEN coalesce(h.last_pending_at, t.updated_at) END,
       coalesce(h.reopens, 0)
  FROM tickets t
  LEFT JOIN LATERAL (
    SELECT sum(CASE WHEN x.s_to = 'pending' AND x.next_at IS NOT NULL THEN extract(epoch FROM x.next_at - x.created_at) ELSE 0 END) AS pending_seconds,
           max(x.created_at) FILTER (WHERE x.s_to = 'pending') AS last_pending_at,
           max(x.created_at) FILTER (WHERE x.s_to = 'cancelled') AS cancelled_at,
           count(*) FILTER (WHERE x.s_from = 'resolved' AND x.s_to NOT IN ('closed', 'resolved'))::int AS reopens
      FROM (SELECT h.created_at, h.changed_from->>'status' AS s_from, h.changed_to->>'status' AS s_to,
                   lead(h.created_at) OVER (ORDER BY h.created_at, h.seq) AS next_at
              FROM ticket_history h WHERE h.ticket_id = t.id AND h.field = 'status') x
  ) h ON true;

-- Fuzzy requester matching (requester:ann, typos included) by trigram similarity.
-- Serves requester: terms on names (accents and case ignored).
CREATE INDEX requesters_name_trgm_idx ON requesters USING gin (triage_unaccent(lower(name)) gin_trgm_ops);
-- Serves requester: terms on e-mail addresses (substring and similarity).
CREATE INDEX requesters_email_trgm_idx ON requesters USING gin (email gin_trgm_ops);

-- Saved views: a query in the search language plus columns and sort, personal,
-- shared with one group, or with all agents. Built-in views live in code.
CREATE TABLE saved_views (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        varchar(255) NOT NULL,
  query       text NOT NULL,
  columns     text[] NOT NULL DEFAULT '{}',
  sort_by     text NOT NULL DEFAULT 'createdAt',
  sort_order  text NOT NULL DEFAULT 'desc' CHECK (sort_order IN ('asc', 'desc')),
  visibility  text NOT NULL CHECK (visibility IN ('personal', 'group', 'all')),
  group_id    uuid REFERENCES groups(id) ON DELETE CASCADE,
  owner_id    uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((visibility = 'group') = (group_id IS NOT NULL))
);
-- Serves "my personal views".
CREATE INDEX saved_views_owner_idx ON saved_views (owner_id);
-- Serves "views shared with my groups".
CREATE INDEX saved_views_group_idx ON saved_views (group_id) WHERE group_id IS NOT NULL;
