-- indicators: definitions and rules as data, targets, submissions, reported values with their
-- correction history, derived (rolled-up) values, target evaluations and period locks.
-- A disaggregation is stored in its CSV form (``sex=female;area=rural``); '' is the total.

CREATE TABLE indicator_definitions (
    code        text PRIMARY KEY,
    definition  jsonb NOT NULL,
    updated_by  text NOT NULL DEFAULT 'catalogue',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE validation_rules (
    rule_id     text PRIMARY KEY,
    rule        jsonb NOT NULL,
    updated_by  text NOT NULL DEFAULT 'catalogue',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Targets of the province council's plan, per indicator, unit and period (totals only).
CREATE TABLE targets (
    indicator_code text NOT NULL,
    unit_code      text NOT NULL,
    period         text NOT NULL,
    target         numeric NOT NULL,
    note           text NOT NULL DEFAULT '',
    set_by         text NOT NULL,
    set_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (indicator_code, unit_code, period)
);

-- Every submission received, accepted or rejected (with every violation), once per id.
CREATE TABLE submissions (
    submission_id text PRIMARY KEY,
    unit_code     text NOT NULL,
    period        text NOT NULL,
    status        text NOT NULL CHECK (status IN ('accepted', 'rejected')),
    submitted_by  text NOT NULL,
    submitted_at  timestamptz NOT NULL,
    replaces      text,
    reason        text,
    channel       text NOT NULL,
    payload_hash  text NOT NULL,
    payload       jsonb NOT NULL,
    violations    jsonb NOT NULL DEFAULT '[]'::jsonb,
    warnings      jsonb NOT NULL DEFAULT '[]'::jsonb,
    event_id      text,
    received_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX submissions_unit_period ON submissions (unit_code, period, received_at);

-- The current reported value of each cell; warnings of the validation are kept with it.
CREATE TABLE indicator_values (
    unit_code      text NOT NULL,
    period         text NOT NULL,
    indicator_code text NOT NULL,
    disaggregation text NOT NULL DEFAULT '',
    value          numeric NOT NULL,
    submission_id  text NOT NULL,
    recorded_by    text NOT NULL,
    recorded_at    timestamptz NOT NULL,
    revision       integer NOT NULL DEFAULT 1,
    warnings       jsonb NOT NULL DEFAULT '[]'::jsonb,
    PRIMARY KEY (unit_code, period, indicator_code, disaggregation)
);
CREATE INDEX indicator_values_period ON indicator_values (period, indicator_code);

-- Who changed which value, when, from what to what, by which submission and why.
CREATE TABLE value_history (
    id             bigserial PRIMARY KEY,
    unit_code      text NOT NULL,
    period         text NOT NULL,
    indicator_code text NOT NULL,
    disaggregation text NOT NULL DEFAULT '',
    old_value      numeric,
    new_value      numeric NOT NULL,
    revision       integer NOT NULL,
    submission_id  text NOT NULL,
    replaces       text,
    reason         text,
    changed_by     text NOT NULL,
    changed_at     timestamptz NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX value_history_cell ON value_history (unit_code, period, indicator_code, id);

-- Values of units above the reporting ones, rolled up along the hierarchy of the period.
CREATE TABLE derived_values (
    unit_code      text NOT NULL,
    period         text NOT NULL,
    indicator_code text NOT NULL,
    disaggregation text NOT NULL DEFAULT '',
    value          numeric NOT NULL,
    numerator      numeric,
    denominator    numeric,
    sources        text[] NOT NULL,
    revision       integer NOT NULL DEFAULT 1,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_code, period, indicator_code, disaggregation)
);

-- The last evaluation of each target (a new one is published only when it changes).
CREATE TABLE evaluations (
    indicator_code text NOT NULL,
    unit_code      text NOT NULL,
    period         text NOT NULL,
    evaluation     jsonb NOT NULL,
    evaluated_at   timestamptz NOT NULL,
    PRIMARY KEY (indicator_code, unit_code, period)
);

-- Approval of a unit's period by the level above; after it only corrections with a reason.
CREATE TABLE period_locks (
    unit_code     text NOT NULL,
    period        text NOT NULL,
    approved_by   text NOT NULL,
    approver_unit text NOT NULL,
    locked_at     timestamptz NOT NULL,
    PRIMARY KEY (unit_code, period)
);
