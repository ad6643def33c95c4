-- Self-service webhook subscriptions: who owns each one (the token subject that registered
-- it), the unit subtree it receives events of, secrets with a retirement time (the overlap of a
-- rotation), and the audit of every change.

ALTER TABLE subscriptions
    ADD COLUMN owner      text,            -- token subject; NULL: registered before owners
    ADD COLUMN unit_code  text,            -- this unit and below; NULL: the whole province
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX subscriptions_owner ON subscriptions (owner);

CREATE TABLE subscription_secrets (
    subscription_id text NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    secret          text NOT NULL,          -- whsec_...
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at      timestamptz,            -- NULL: current; a rotation sets the overlap's end
    PRIMARY KEY (subscription_id, secret)
);
INSERT INTO subscription_secrets (subscription_id, secret)
    SELECT id, unnest(secrets) FROM subscriptions;
ALTER TABLE subscriptions DROP COLUMN secrets;

-- Who changed which subscription, when, and what (field: {"from", "to"}; never a secret).
-- Kept after the subscription is deleted, with its owner and unit for access checks.
CREATE TABLE subscription_audit (
    id              bigserial PRIMARY KEY,
    subscription_id text NOT NULL,
    owner           text,
    unit_code       text,
    at              timestamptz NOT NULL DEFAULT now(),
    actor           text NOT NULL,          -- token subject, or 'notifier' for its own changes
    actor_roles     text[] NOT NULL DEFAULT '{}',
    action          text NOT NULL,          -- created, updated, disabled, enabled,
                                            -- secret-rotated, secret-retired, deleted
    changes         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX subscription_audit_subscription ON subscription_audit (subscription_id, id);
