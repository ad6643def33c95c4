-- The HTTP event feed (GET /v1/feed): the public events exactly as received, in the order
-- they were stored (per partition: the topic's order), kept for the retention setting.

CREATE TABLE feed_events (
    position     bigserial PRIMARY KEY,     -- the cursor
    event_id     text NOT NULL UNIQUE,
    type         text NOT NULL,
    subject      text NOT NULL,
    units        text[] NOT NULL DEFAULT '{}',  -- the units the event names (unit scope)
    topic        text NOT NULL,
    partition    integer NOT NULL,
    "offset"     bigint NOT NULL,
    published_at timestamptz NOT NULL,      -- the Kafka record's timestamp
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    event        text NOT NULL              -- the structured CloudEvent JSON, as received
);
CREATE INDEX feed_events_published ON feed_events (published_at);
CREATE INDEX feed_events_units ON feed_events USING gin (units);
CREATE INDEX feed_events_type ON feed_events (type text_pattern_ops, position);

-- How far retention has removed events: a cursor below pruned_through has missed some.
CREATE TABLE feed_state (
    only_row       boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    pruned_through bigint NOT NULL DEFAULT 0,
    pruned_before  timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO feed_state DEFAULT VALUES;
