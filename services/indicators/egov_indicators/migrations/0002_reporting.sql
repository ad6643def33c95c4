-- indicators: data sets (the indicators a unit must report for a period kind, who must report
-- them and when each period is due) and the reminders / overdue notices already sent.

CREATE TABLE data_sets (
    code               text PRIMARY KEY,
    name_vi            text NOT NULL,
    period_kind        text NOT NULL CHECK (period_kind IN ('year', 'half-year', 'quarter', 'month')),
    indicators         text[] NOT NULL CHECK (cardinality(indicators) > 0),
    -- due on this day of the month ``due_months_after`` months after the period's last month
    due_day            integer NOT NULL DEFAULT 20 CHECK (due_day BETWEEN 1 AND 31),
    due_months_after   integer NOT NULL DEFAULT 1 CHECK (due_months_after BETWEEN 0 AND 12),
    remind_days_before integer NOT NULL DEFAULT 3 CHECK (remind_days_before >= 0),
    -- reports are due from this period on (NULL: every period)
    first_period       text,
    updated_by         text NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- The units expected to report a data set.
CREATE TABLE data_set_units (
    data_set  text NOT NULL REFERENCES data_sets (code) ON DELETE CASCADE,
    unit_code text NOT NULL,
    PRIMARY KEY (data_set, unit_code)
);

-- Each reminder (due-soon) and overdue notice goes out once per data set, unit and period.
CREATE TABLE reporting_notices (
    data_set  text NOT NULL,
    unit_code text NOT NULL,
    period    text NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('due-soon', 'overdue')),
    due_date  date NOT NULL,
    sent_at   timestamptz NOT NULL,
    event_id  text NOT NULL,
    PRIMARY KEY (data_set, unit_code, period, kind)
);

-- Accepted submissions of a unit and period, for the first report of a period.
CREATE INDEX submissions_accepted_period ON submissions (period, unit_code)
    WHERE status = 'accepted';
