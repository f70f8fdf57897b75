-- 0004 e-mail: mailboxes, every message in and out, the inbound log, the dead
-- letters, suspended (spam) mail, bounce state, auto-responses and their limits.
-- Runs on PGlite (PostgreSQL 18) and PostgreSQL 15: gen_random_uuid(), no uuidv7().

CREATE TABLE mailboxes (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  address                 varchar(320) NOT NULL CHECK (address = lower(address)),
  name                    varchar(255) NOT NULL,
  -- defaults for tickets opened through this mailbox (subject tags override the category)
  group_slug              varchar(100),
  category                varchar(100),
  -- {type:'smtp'} | {type:'imap', host, port, secure, user, folder}: never the password
  inbound                 jsonb NOT NULL DEFAULT '{"type":"smtp"}',
  -- AES-256-GCM "v1:…" (src/platform/crypto.ts); NULL when there is none
  inbound_password_enc    text,
  -- {host, port, secure, user?} or NULL: SMTP_OUTBOUND_URL is the relay
  outbound                jsonb,
  outbound_password_enc   text,
  auto_acknowledge        boolean NOT NULL DEFAULT false,
  is_active               boolean NOT NULL DEFAULT true,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now()
);
-- Serves recipient lookup (RCPT TO, ingest) and uniqueness of an address.
CREATE UNIQUE INDEX mailboxes_address_key ON mailboxes (address);

-- The conversation's e-mail side: every message received or sent.
CREATE TABLE email_messages (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  direction           text NOT NULL CHECK (direction IN ('inbound','outbound')),
  mailbox_id          uuid REFERENCES mailboxes(id) ON DELETE SET NULL,
  -- inbound: the Message-ID, or 'sha256:'+content hash when it has none; outbound: 'out:'+our Message-ID.
  -- UNIQUE with the mailbox: the database decides duplicates, so two deliveries of one message race safely.
  dedupe_key          text NOT NULL,
  message_id          text,
  content_hash        char(64),
  ticket_id           uuid REFERENCES tickets(id) ON DELETE CASCADE,
  comment_id          uuid REFERENCES ticket_comments(id) ON DELETE SET NULL,
  -- the raw message in the attachment store (sha256) and its size
  raw_sha256          char(64),
  raw_size            bigint,
  from_address        varchar(320),
  from_name           varchar(255),
  to_addresses        jsonb NOT NULL DEFAULT '[]',
  cc_addresses        jsonb NOT NULL DEFAULT '[]',
  subject             text NOT NULL DEFAULT '',
  in_reply_to         text,
  "references"        text[] NOT NULL DEFAULT '{}',
  threaded_by         text CHECK (threaded_by IN ('header','token','subject')),
  body_text           text NOT NULL DEFAULT '',
  body_html_sanitized text,
  quoted_text         text NOT NULL DEFAULT '',
  -- inbound: sent automatically (RFC 3834 …): never answered
  automated           boolean NOT NULL DEFAULT false,
  -- outbound: 'reply' (an agent's public reply) or 'ack' (automatic acknowledgement)
  kind                text CHECK (kind IN ('reply','ack')),
  -- inbound: 'received'; outbound: queued → sending → sent | failed
  status              text NOT NULL DEFAULT 'received' CHECK (status IN ('received','queued','sending','sent','failed')),
  attempts            integer NOT NULL DEFAULT 0,
  last_error          text,
  smtp_response       text,
  claimed_at          timestamptz,
  sent_at             timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (mailbox_id, dedupe_key)
);
-- Serves threading: In-Reply-To/References against the Message-IDs we sent or received (any mailbox).
CREATE INDEX email_messages_message_id_idx ON email_messages (message_id) WHERE message_id IS NOT NULL;
-- Serves a ticket's thread (References chain, the mailbox a ticket came through).
CREATE INDEX email_messages_ticket_idx ON email_messages (ticket_id, created_at);
-- Serves a comment's e-mail and delivery status, and the raw message of a comment.
CREATE INDEX email_messages_comment_idx ON email_messages (comment_id) WHERE comment_id IS NOT NULL;
-- Serves the attachment-store sweep (a raw message is a referenced file).
CREATE INDEX email_messages_raw_idx ON email_messages (raw_sha256) WHERE raw_sha256 IS NOT NULL;

-- A read copy on the comment, so the one-statement ticket read needs no join:
-- `email` is written once at ingest, `delivery` by the email.send job.
ALTER TABLE ticket_comments
  ADD COLUMN email    jsonb,
  ADD COLUMN delivery jsonb;

-- What happened to each received message (GET /admin/inbound-log).
CREATE TABLE inbound_log (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  received_at  timestamptz NOT NULL,
  mailbox_id   uuid REFERENCES mailboxes(id) ON DELETE SET NULL,
  transport    text NOT NULL CHECK (transport IN ('smtp','imap','api','replay')),
  message_id   text,
  from_address varchar(320),
  subject      text,
  outcome      text NOT NULL CHECK (outcome IN ('ticket_created','comment_added','suppressed','suspended','failed')),
  reason       text,
  ticket_id    uuid REFERENCES tickets(id) ON DELETE SET NULL,
  comment_id   uuid REFERENCES ticket_comments(id) ON DELETE SET NULL
);
-- Serves the log newest first.
CREATE INDEX inbound_log_received_idx ON inbound_log (received_at DESC, id DESC);

-- Dead letters: a message that could not be parsed or committed, kept whole for replay.
CREATE TABLE inbound_failures (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  mailbox_id      uuid REFERENCES mailboxes(id) ON DELETE SET NULL,
  transport       text NOT NULL,
  -- the bytes themselves: the failure may be the attachment store's
  raw             bytea NOT NULL,
  envelope        jsonb NOT NULL DEFAULT '{}',
  error           text NOT NULL,
  attempts        integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL,
  last_attempt_at timestamptz NOT NULL,
  resolved_at     timestamptz,
  resolved_log_id uuid
);
-- Serves the list of unresolved failures, newest first.
CREATE INDEX inbound_failures_open_idx ON inbound_failures (created_at DESC) WHERE resolved_at IS NULL;

-- Suspected spam: never a ticket until an agent releases it.
CREATE TABLE suspended_messages (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  mailbox_id     uuid REFERENCES mailboxes(id) ON DELETE CASCADE,
  dedupe_key     text NOT NULL,
  transport      text NOT NULL,
  raw            bytea NOT NULL,
  envelope       jsonb NOT NULL DEFAULT '{}',
  message_id     text,
  from_address   varchar(320),
  subject        text,
  reason         text NOT NULL,
  spam_score     double precision,
  spam_threshold double precision,
  status         text NOT NULL DEFAULT 'suspended' CHECK (status IN ('suspended','released','deleted')),
  created_at     timestamptz NOT NULL,
  decided_at     timestamptz,
  decided_by     uuid,
  -- the same spam delivered twice is suspended once
  UNIQUE (mailbox_id, dedupe_key)
);
-- Serves the suspended list, newest first.
CREATE INDEX suspended_messages_open_idx ON suspended_messages (created_at DESC) WHERE status = 'suspended';

-- Bounce state: an address that bounced is never mailed again until cleared.
ALTER TABLE requesters
  ADD COLUMN email_bouncing_at    timestamptz,
  ADD COLUMN email_bounce_reason  text;

-- The Cc addresses of inbound mail on a ticket: copied on replies, and allowed to follow up by token or [#n].
CREATE TABLE ticket_email_cc (
  ticket_id  uuid NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  address    varchar(320) NOT NULL CHECK (address = lower(address)),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ticket_id, address)
);

-- Automatic acknowledgement templates (Liquid), picked in position order.
CREATE TABLE auto_responses (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        varchar(255) NOT NULL,
  mailbox_id  uuid REFERENCES mailboxes(id) ON DELETE CASCADE,
  category    varchar(100),
  subject     text NOT NULL,
  body        text NOT NULL,
  is_active   boolean NOT NULL DEFAULT true,
  position    integer NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Serves picking the first matching active template.
CREATE INDEX auto_responses_position_idx ON auto_responses (position, created_at) WHERE is_active;

-- At most one acknowledgement per ticket (so per requester per ticket), however often ingest runs.
CREATE TABLE auto_acknowledgements (
  ticket_id        uuid PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
  address          varchar(320) NOT NULL,
  auto_response_id uuid REFERENCES auto_responses(id) ON DELETE SET NULL,
  email_message_id uuid REFERENCES email_messages(id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL
);

-- Automatic mails per address and hour, counted in the database (every process shares the limit),
-- so two auto-responders cannot ping-pong through us.
CREATE TABLE auto_mail_counts (
  address      varchar(320) NOT NULL,
  window_start timestamptz NOT NULL,
  sent         integer NOT NULL,
  PRIMARY KEY (address, window_start)
);
