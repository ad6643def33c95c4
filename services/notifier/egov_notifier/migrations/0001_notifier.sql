-- notifier: rules, templates, recipients, webhook subscriptions, notifications and attempts.

CREATE TABLE templates (
    id         text PRIMARY KEY,
    subject    text NOT NULL,
    body       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rules (
    id          text PRIMARY KEY,
    event_type  text NOT NULL,            -- exact type, or a prefix ending in '*'
    channels    text[] NOT NULL,          -- email, sms, in-app, webhook
    roles       text[] NOT NULL DEFAULT '{}',  -- recipient roles at the event's unit
    ancestor_roles text[] NOT NULL DEFAULT '{}',  -- roles at the units above it
    template_id text REFERENCES templates (id),
    priority    text NOT NULL DEFAULT 'normal',
    enabled     boolean NOT NULL DEFAULT true
);

-- Who is who: people to notify by unit and role (officers, unit heads, operators).
CREATE TABLE recipients (
    id        text PRIMARY KEY,
    unit_code text NOT NULL,
    role      text NOT NULL,
    name      text NOT NULL,
    email     text,
    phone     text
);
CREATE INDEX recipients_unit_role ON recipients (unit_code, role);

-- Webhook endpoints of other government systems.
CREATE TABLE subscriptions (
    id              text PRIMARY KEY,
    system          text NOT NULL,
    url             text NOT NULL,
    event_types     text[] NOT NULL,
    secrets         text[] NOT NULL,      -- whsec_...; several during a key rotation
    enabled         boolean NOT NULL DEFAULT true,
    disabled_reason text,
    failing_since   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Every notification decided (the delivery outbox) and where it stands.
CREATE TABLE notifications (
    id              uuid PRIMARY KEY,
    rule_id         text NOT NULL,
    event_id        text NOT NULL,
    event_type      text NOT NULL,
    channel         text NOT NULL,
    recipient       text NOT NULL,        -- address, recipient id or subscription id
    recipient_label text NOT NULL,        -- masked, for lists and events
    unit_code       text,
    subject         text NOT NULL,
    body            text NOT NULL,
    payload         bytea,                -- webhook: the CloudEvent JSON as sent
    status          text NOT NULL,        -- pending, sending, retrying, delivered, failed
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    lease_until     timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    UNIQUE (event_id, rule_id, channel, recipient)
);
CREATE INDEX notifications_due ON notifications (next_attempt_at)
    WHERE status IN ('pending', 'retrying', 'sending');
CREATE INDEX notifications_created ON notifications (created_at);

CREATE TABLE attempts (
    notification_id uuid NOT NULL REFERENCES notifications (id),
    n               integer NOT NULL,
    at              timestamptz NOT NULL,
    outcome         text NOT NULL,
    status_code     integer,
    error           text,
    duration_ms     integer NOT NULL,
    PRIMARY KEY (notification_id, n)
);

-- The in-app feed.
CREATE TABLE inbox_items (
    id              bigserial PRIMARY KEY,
    notification_id uuid NOT NULL UNIQUE REFERENCES notifications (id),
    unit_code       text NOT NULL,
    role            text NOT NULL,
    title           text NOT NULL,
    body            text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_items_unit_role ON inbox_items (unit_code, role, created_at);
