-- admin-procedures: catalogue, dossiers, their reports, timers and report aggregates.

CREATE TABLE procedures (
    code              text PRIMARY KEY,
    name              text NOT NULL,
    field             text NOT NULL DEFAULT '',
    level             text NOT NULL DEFAULT 'province',
    processing_value  integer NOT NULL CHECK (processing_value > 0),
    processing_unit   text NOT NULL CHECK (processing_unit IN ('working-days', 'working-hours', 'calendar-days')),
    supplement_rule   text NOT NULL DEFAULT 'pause' CHECK (supplement_rule IN ('pause', 'restart')),
    deadline_mode     text NOT NULL DEFAULT 'working-time',
    settings          jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Days a province declares off or working beyond the national calendar.
CREATE TABLE calendar_exceptions (
    day        date PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('day-off', 'working-day')),
    note       text NOT NULL DEFAULT '',
    entered_by text NOT NULL,
    entered_at timestamptz NOT NULL DEFAULT now()
);

-- The current derived state of each dossier (a pure fold of its accepted reports).
CREATE TABLE dossiers (
    dossier_code   text PRIMARY KEY,
    procedure_code text NOT NULL,
    unit_code      text NOT NULL,
    channel        text,
    status         text NOT NULL,
    received_at    timestamptz,
    due_at         timestamptz,
    finished_at    timestamptz,
    resolved_at    timestamptz,
    result         text,
    timeliness     text,
    applicant_ref  text,
    version        bigint NOT NULL DEFAULT 0,
    state          jsonb NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossiers_unit_received ON dossiers (unit_code, received_at);
CREATE INDEX dossiers_open ON dossiers (unit_code, due_at) WHERE finished_at IS NULL;
CREATE INDEX dossiers_finished ON dossiers (finished_at) WHERE finished_at IS NOT NULL;

-- Every status report as received (accepted or refused with its reason): the timeline.
CREATE TABLE dossier_reports (
    report_id    text PRIMARY KEY,
    dossier_code text NOT NULL,
    status       text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    payload      jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossier_reports_dossier ON dossier_reports (dossier_code, occurred_at);

-- Personal data of applicants, kept apart from the dossier state and never published.
CREATE TABLE applicants (
    dossier_code text PRIMARY KEY,
    applicant_ref text NOT NULL,
    kind          text,
    national_id   text,
    name          text,
    phone         text,
    email         text
);

-- Durable deadline timers: one row per dossier, warning kind and threshold; fired once.
CREATE TABLE dossier_timers (
    dossier_code text NOT NULL,
    kind         text NOT NULL,
    threshold    text NOT NULL,
    fire_at      timestamptz NOT NULL,
    fired_at     timestamptz,
    PRIMARY KEY (dossier_code, kind, threshold)
);
CREATE INDEX dossier_timers_due ON dossier_timers (fire_at) WHERE fired_at IS NULL;

-- Daily aggregates of the report form, maintained in the same transaction as the dossiers.
CREATE TABLE dossier_daily (
    day              date NOT NULL,
    unit_code        text NOT NULL,
    procedure_code   text NOT NULL,
    channel          text NOT NULL,
    received         integer NOT NULL DEFAULT 0,
    finished         integer NOT NULL DEFAULT 0,
    resolved_early   integer NOT NULL DEFAULT 0,
    resolved_on_time integer NOT NULL DEFAULT 0,
    resolved_late    integer NOT NULL DEFAULT 0,
    withdrawn        integer NOT NULL DEFAULT 0,
    returned         integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, unit_code, procedure_code, channel)
);
CREATE INDEX dossier_daily_unit ON dossier_daily (unit_code, day);

-- On-time rates published per unit and period, to republish when a late event corrects one.
CREATE TABLE published_rates (
    unit_code    text NOT NULL,
    period_label text NOT NULL,
    scope        text NOT NULL,
    payload      jsonb NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_code, period_label, scope)
);

-- Apology letters (phiếu xin lỗi và hẹn lại ngày trả kết quả): at most one per dossier.
CREATE TABLE apologies (
    dossier_code text PRIMARY KEY REFERENCES dossiers (dossier_code),
    issued_at    timestamptz NOT NULL,
    new_due_at   timestamptz NOT NULL,
    reason       text NOT NULL,
    issued_by    text NOT NULL
);
