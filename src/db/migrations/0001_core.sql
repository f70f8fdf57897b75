-- 0001 core: people, accounts, tickets, comments, attachments, history.
-- Every timestamp is timestamptz (stored in UTC). Statuses and enums are text
-- with CHECK constraints so the same SQL runs on PGlite (PostgreSQL 18) and
-- PostgreSQL 15+.

CREATE TABLE organizations (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        varchar(255) NOT NULL,
  tier        text NOT NULL DEFAULT 'standard'
              CHECK (tier IN ('free','standard','premium','enterprise')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Serves find-or-create of an organization by name (case-insensitive) from ticket creation.
CREATE UNIQUE INDEX organizations_name_key ON organizations (lower(name));

CREATE TABLE requesters (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name            varchar(255) NOT NULL,
  -- stored lower-cased; the unique index makes the race-safe upsert possible
  email           varchar(320) NOT NULL CHECK (email = lower(email)),
  phone           varchar(50),
  user_id         uuid,
  organization_id uuid REFERENCES organizations(id) ON DELETE SET NULL,
  -- NULL means "inherit the organization's tier" (standard without one)
  tier            text CHECK (tier IN ('free','standard','premium','enterprise')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
-- Serves requester lookup/upsert by e-mail.
CREATE UNIQUE INDEX requesters_email_key ON requesters (email);
-- Serves "requesters of an organization".
CREATE INDEX requesters_organization_idx ON requesters (organization_id);

CREATE TABLE groups (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug        varchar(100) NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9_-]*$'),
  name        varchar(255) NOT NULL,
  description text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Staff accounts (admin, supervisor, agent). Agent load is never stored:
-- it is always counted from tickets (see tickets_assignee_open_idx).
CREATE TABLE agents (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name                   varchar(255) NOT NULL,
  email                  varchar(320) NOT NULL CHECK (email = lower(email)),
  role                   text NOT NULL DEFAULT 'agent' CHECK (role IN ('agent','supervisor','admin')),
  skills                 text[] NOT NULL DEFAULT '{}',
  max_concurrent_tickets integer NOT NULL DEFAULT 5 CHECK (max_concurrent_tickets >= 0),
  status                 text NOT NULL DEFAULT 'offline' CHECK (status IN ('online','away','busy','offline')),
  active                 boolean NOT NULL DEFAULT true,
  last_active_at         timestamptz,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);
-- Serves login and duplicate detection by e-mail.
CREATE UNIQUE INDEX agents_email_key ON agents (email);

CREATE TABLE agent_groups (
  agent_id uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  group_id uuid NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  PRIMARY KEY (agent_id, group_id)
);
-- Serves "members of a group".
CREATE INDEX agent_groups_group_idx ON agent_groups (group_id);

CREATE TABLE credentials (
  agent_id      uuid PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
  password_hash text NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
  -- sha256 of the cookie value: a leaked table does not leak sessions
  token_hash  bytea PRIMARY KEY,
  agent_id    uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  csrf_token  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
-- Serves "log out everywhere" and cleanup by agent.
CREATE INDEX sessions_agent_idx ON sessions (agent_id);

CREATE TABLE api_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id     uuid NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
  name         varchar(255) NOT NULL,
  token_hash   bytea NOT NULL,
  -- first characters of the token, shown in lists so a user can tell tokens apart
  prefix       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
-- Serves Bearer authentication.
CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens (token_hash);
-- Serves the token list of an agent.
CREATE INDEX api_tokens_agent_idx ON api_tokens (agent_id);

CREATE SEQUENCE ticket_number_seq START 1000;

CREATE TABLE tickets (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  number            bigint NOT NULL UNIQUE DEFAULT nextval('ticket_number_seq'),
  external_id       varchar(255),
  subject           varchar(500) NOT NULL,
  description       text NOT NULL,
  status            text NOT NULL DEFAULT 'new'
                    CHECK (status IN ('new','open','in_progress','pending','resolved','closed','cancelled')),
  priority          text NOT NULL DEFAULT 'normal' CHECK (priority IN ('critical','high','normal','low')),
  -- 0 = critical … 3 = low, so sorting by priority follows urgency, not the alphabet;
  -- derived, so it can never disagree with priority
  priority_rank     smallint GENERATED ALWAYS AS (CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1
                    WHEN 'normal' THEN 2 ELSE 3 END) STORED,
  category          varchar(100) NOT NULL,
  subcategory       varchar(100),
  requester_id      uuid NOT NULL REFERENCES requesters(id),
  assignee_id       uuid REFERENCES agents(id) ON DELETE SET NULL,
  assignee_group_id uuid REFERENCES groups(id) ON DELETE SET NULL,
  source            text NOT NULL CHECK (source IN ('email','web','chat','api','phone')),
  channel           varchar(100),
  tags              text[] NOT NULL DEFAULT '{}',
  custom_fields     jsonb NOT NULL DEFAULT '{}',
  due_date          timestamptz,
  resolved_at       timestamptz,
  closed_at         timestamptz,
  -- a follow-up to a closed ticket is a new ticket linked to it
  follow_up_of      uuid REFERENCES tickets(id),
  version           integer NOT NULL DEFAULT 1,
  created_by        uuid,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
-- Serves the default list order (newest first) and its keyset cursor.
CREATE INDEX tickets_created_idx ON tickets (created_at DESC, id DESC);
-- Serves sortBy=updatedAt.
CREATE INDEX tickets_updated_idx ON tickets (updated_at DESC, id DESC);
-- Serves sortBy=priority (critical first).
CREATE INDEX tickets_priority_idx ON tickets (priority_rank, created_at DESC, id DESC);
-- Serves sortBy=dueDate (tickets without a due date last) and its keyset cursor.
CREATE INDEX tickets_due_sort_idx ON tickets ((coalesce(due_date, 'infinity'::timestamptz)), id);
-- Serves dueAfter/dueBefore.
CREATE INDEX tickets_due_idx ON tickets (due_date) WHERE due_date IS NOT NULL;
-- Serves ?status= filters.
CREATE INDEX tickets_status_idx ON tickets (status, created_at DESC);
-- Serves ?assigneeId= and agent load counts (open work of an agent).
CREATE INDEX tickets_assignee_idx ON tickets (assignee_id, status);
-- Serves ?requesterId= and a requester's other tickets.
CREATE INDEX tickets_requester_idx ON tickets (requester_id, created_at DESC);
-- Serves ?tags= (array overlap).
CREATE INDEX tickets_tags_idx ON tickets USING gin (tags);
-- Serves queue views by group.
CREATE INDEX tickets_group_idx ON tickets (assignee_group_id, status);

CREATE TABLE ticket_comments (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- insertion order: comments written in one millisecond still list in the order written
  seq         bigint GENERATED ALWAYS AS IDENTITY,
  ticket_id   uuid NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  author_id   uuid NOT NULL,
  author_type text NOT NULL CHECK (author_type IN ('agent','requester','system')),
  content     text NOT NULL,
  -- an internal note is never shown to a requester; is_public is its inverse,
  -- kept from the seed for clarity in SQL
  is_internal boolean NOT NULL DEFAULT false,
  is_public   boolean GENERATED ALWAYS AS (NOT is_internal) STORED,
  created_at  timestamptz NOT NULL DEFAULT now()
);
-- Serves the conversation of a ticket in order.
CREATE INDEX ticket_comments_ticket_idx ON ticket_comments (ticket_id, created_at, seq);

-- File contents live under DATA_DIR/attachments by sha256; rows point to them.
CREATE TABLE attachments (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  ticket_id   uuid NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  comment_id  uuid REFERENCES ticket_comments(id) ON DELETE CASCADE,
  file_name   varchar(255) NOT NULL,
  sha256      char(64) NOT NULL,
  file_size   bigint NOT NULL,
  mime_type   varchar(255) NOT NULL,
  uploaded_by uuid NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
-- Serves the attachments of a ticket / comment.
CREATE INDEX attachments_ticket_idx ON attachments (ticket_id);
CREATE INDEX attachments_comment_idx ON attachments (comment_id);
-- Serves the sweep of stored files no attachment references any more.
CREATE INDEX attachments_sha256_idx ON attachments (sha256);

CREATE TABLE sla_policies (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name                  varchar(255) NOT NULL,
  description           text,
  position              integer NOT NULL DEFAULT 0,
  conditions            jsonb NOT NULL DEFAULT '{}',
  response_time_minutes integer NOT NULL CHECK (response_time_minutes > 0),
  resolution_time_minutes integer NOT NULL CHECK (resolution_time_minutes > 0),
  is_active             boolean NOT NULL DEFAULT true,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ticket_sla (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  ticket_id      uuid NOT NULL UNIQUE REFERENCES tickets(id) ON DELETE CASCADE,
  policy_id      uuid REFERENCES sla_policies(id) ON DELETE SET NULL,
  response_due   timestamptz,
  resolution_due timestamptz,
  response_met   boolean,
  resolution_met boolean,
  response_at    timestamptz,
  resolution_at  timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ticket_history (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- insertion order: the rows one command writes share created_at and must list in the order written
  seq         bigint GENERATED ALWAYS AS IDENTITY,
  ticket_id   uuid NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  -- the acting agent (or the owner of the API token); NULL only for the system itself
  changed_by  uuid REFERENCES agents(id) ON DELETE SET NULL,
  actor_type  text NOT NULL DEFAULT 'agent' CHECK (actor_type IN ('agent','requester','system')),
  change_type text NOT NULL CHECK (change_type IN
    ('created','updated','status_changed','assigned','commented','resolved','closed','reopened','cancelled')),
  field       text,
  changed_from jsonb,
  changed_to   jsonb,
  comment     text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
-- Serves GET /tickets/:id/history in order.
CREATE INDEX ticket_history_ticket_idx ON ticket_history (ticket_id, created_at, seq);

-- Idempotency-Key: the first response to a POST is kept and replayed.
CREATE TABLE idempotency_keys (
  actor_id     uuid NOT NULL,
  key          varchar(255) NOT NULL,
  method       text NOT NULL,
  path         text NOT NULL,
  request_hash text NOT NULL,
  status_code  integer,
  response     jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (actor_id, key)
);
-- Serves expiry of old keys.
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Rate-limit windows (login attempts per client IP) shared by every Triage process:
-- a limit kept in one process's memory would multiply by the number of processes.
CREATE TABLE rate_limits (
  key          text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  hits         integer NOT NULL
);
-- Serves the clean-up of finished windows.
CREATE INDEX rate_limits_window_idx ON rate_limits (window_start);

-- Admin-editable settings (priority weights, routing options …), one JSON value per key.
CREATE TABLE settings (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
