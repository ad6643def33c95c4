-- nominations: the register with its history, movements, registrations, nomination files,
-- councils with sessions and tallies, decisions, and evidence read from other services.

-- People by personnel reference and name only (no identity numbers).
CREATE TABLE people (
    person_id  text PRIMARY KEY,
    name       text NOT NULL,
    unit_code  text NOT NULL,
    female     boolean,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX people_unit ON people (unit_code);

-- Yearly task rating with the unit the person was rated in, and time worked that year.
CREATE TABLE ratings (
    person_id       text NOT NULL REFERENCES people (person_id),
    year            integer NOT NULL,
    unit_code       text NOT NULL,
    rating          text NOT NULL CHECK (rating IN
                        ('hoan-thanh-xuat-sac', 'hoan-thanh-tot', 'hoan-thanh', 'khong-hoan-thanh')),
    months_on_duty  numeric(4, 2) NOT NULL DEFAULT 12 CHECK (months_on_duty BETWEEN 0 AND 12),
    leave           jsonb NOT NULL DEFAULT '[]'::jsonb,
    source          text NOT NULL DEFAULT 'api',
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, year)
);
CREATE INDEX ratings_unit_year ON ratings (unit_code, year);

-- A collective's own yearly rating.
CREATE TABLE unit_ratings (
    unit_code  text NOT NULL,
    year       integer NOT NULL,
    rating     text NOT NULL CHECK (rating IN
                   ('hoan-thanh-xuat-sac', 'hoan-thanh-tot', 'hoan-thanh', 'khong-hoan-thanh')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_code, year)
);

CREATE TABLE disciplines (
    person_id        text NOT NULL REFERENCES people (person_id),
    year             integer NOT NULL,
    level            text NOT NULL,
    decision_number  text NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, decision_number)
);

-- Open (or concluded) discipline proceedings, inspections, investigations, complaints.
CREATE TABLE pending_matters (
    matter_id     text PRIMARY KEY,
    nominee_kind  text NOT NULL CHECK (nominee_kind IN ('individual', 'collective')),
    nominee_ref   text NOT NULL,
    kind          text NOT NULL,
    opened_on     date NOT NULL,
    reference     text NOT NULL,
    resolved      boolean NOT NULL DEFAULT false,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_nominee ON pending_matters (nominee_kind, nominee_ref);

CREATE TABLE initiatives (
    initiative_id        text PRIMARY KEY,
    person_id            text NOT NULL REFERENCES people (person_id),
    title                text NOT NULL,
    year                 integer NOT NULL,
    kind                 text NOT NULL,
    recognised_by        text NOT NULL,
    scope                text NOT NULL CHECK (scope IN ('unit', 'province', 'nationwide')),
    accepted_and_applied boolean NOT NULL DEFAULT true,
    decision_number      text
);
CREATE INDEX initiatives_person ON initiatives (person_id);

-- Awards conferred: imported from earlier years or recorded by a decision here.
CREATE TABLE award_history (
    award_id         bigserial PRIMARY KEY,
    nominee_kind     text NOT NULL CHECK (nominee_kind IN ('individual', 'collective')),
    nominee_ref      text NOT NULL,
    unit_code        text NOT NULL,
    award            text NOT NULL,
    year             integer NOT NULL,
    decision_number  text NOT NULL,
    level            text,
    decided_on       date,
    nomination_id    text,
    source           text NOT NULL DEFAULT 'import',
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (nominee_kind, nominee_ref, award, year, decision_number)
);
CREATE INDEX award_history_nominee ON award_history (nominee_kind, nominee_ref);
CREATE INDEX award_history_year ON award_history (year);

CREATE TABLE movements (
    movement_id  text PRIMARY KEY,
    title        text NOT NULL,
    unit_code    text NOT NULL,
    year         integer NOT NULL,
    starts_on    date NOT NULL,
    ends_on      date,
    awards       text[] NOT NULL DEFAULT '{}',
    launched_by  text NOT NULL,
    launched_at  timestamptz NOT NULL
);

CREATE TABLE registrations (
    registration_id text PRIMARY KEY,
    movement_id     text REFERENCES movements (movement_id),
    year            integer NOT NULL,
    nominee_kind    text NOT NULL,
    nominee_ref     text NOT NULL,
    unit_code       text NOT NULL,
    award           text NOT NULL,
    submitted_by    text NOT NULL,
    submitted_at    timestamptz NOT NULL,
    UNIQUE (year, nominee_kind, nominee_ref, award)
);

-- Emulation councils of a deciding unit, with their members (counts only are voted).
CREATE TABLE councils (
    council_id  text PRIMARY KEY,
    unit_code   text NOT NULL,
    name        text NOT NULL,
    level       text NOT NULL,
    members     jsonb NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE council_sessions (
    session_id     text PRIMARY KEY,
    council_id     text NOT NULL REFERENCES councils (council_id),
    held_on        date NOT NULL,
    members_total  integer NOT NULL CHECK (members_total > 0),
    present        text[] NOT NULL,
    quorum_met     boolean NOT NULL,
    recorded_by    text NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (cardinality(present) <= members_total)
);

-- The nomination files: the workflow's state (a NominationFile) plus columns to query by.
CREATE TABLE nominations (
    nomination_id       text PRIMARY KEY,
    movement_id         text REFERENCES movements (movement_id),
    nominee_kind        text NOT NULL,
    nominee_ref         text NOT NULL,
    nominee_name        text NOT NULL,
    unit_code           text NOT NULL,
    award               text NOT NULL,
    achievement_year    integer NOT NULL,
    occasion            text NOT NULL DEFAULT 'yearly',
    deciding_level      text NOT NULL,
    deciding_unit_code  text NOT NULL,
    status              text NOT NULL,
    documents           text[] NOT NULL DEFAULT '{}',
    summary             text NOT NULL DEFAULT '',
    file                jsonb NOT NULL,
    version             integer NOT NULL DEFAULT 0,
    session_id          text REFERENCES council_sessions (session_id),
    created_by          text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX nominations_unit ON nominations (unit_code, achievement_year);
CREATE INDEX nominations_deciding ON nominations (deciding_unit_code, status);

-- Secret-ballot tally per nominee: counts only, never who voted how.
CREATE TABLE tallies (
    session_id     text NOT NULL REFERENCES council_sessions (session_id),
    nomination_id  text NOT NULL REFERENCES nominations (nomination_id),
    members_total  integer NOT NULL,
    present        integer NOT NULL,
    votes_for      integer NOT NULL,
    threshold_pct  numeric(5, 2) NOT NULL,
    share_pct      numeric(5, 2) NOT NULL,
    quorum_met     boolean NOT NULL,
    passed         boolean NOT NULL,
    recorded_by    text NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, nomination_id),
    CHECK (votes_for <= present AND present <= members_total)
);

CREATE TABLE decisions (
    decision_id         text PRIMARY KEY,
    deciding_unit_code  text NOT NULL,
    number              text NOT NULL,
    decided_on          date NOT NULL,
    signer              text NOT NULL,
    nomination_ids      text[] NOT NULL,
    recorded_by         text NOT NULL,
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (deciding_unit_code, number)
);

-- Evidence from admin-procedures: on-time rates per unit and period (all procedures).
CREATE TABLE evidence_on_time (
    unit_code       text NOT NULL,
    period          text NOT NULL,
    year            integer NOT NULL,
    period_from     date NOT NULL,
    period_to       date NOT NULL,
    resolved        integer NOT NULL,
    early_on_time   integer NOT NULL,
    on_time_rate    numeric(5, 2),
    revision        integer NOT NULL,
    event_id        text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_code, period)
);

-- Evidence from indicators: target evaluations per indicator, unit and period.
CREATE TABLE evidence_targets (
    indicator_code   text NOT NULL,
    unit_code        text NOT NULL,
    period           text NOT NULL,
    year             integer NOT NULL,
    target           numeric NOT NULL,
    actual           numeric NOT NULL,
    achievement_pct  numeric(9, 2),
    status           text NOT NULL,
    period_closed    boolean NOT NULL,
    evaluated_at     timestamptz NOT NULL,
    event_id         text NOT NULL,
    PRIMARY KEY (indicator_code, unit_code, period)
);
CREATE INDEX evidence_targets_unit ON evidence_targets (unit_code, year);
