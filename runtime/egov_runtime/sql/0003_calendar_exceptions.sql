-- Every service's mirror of the province's working-day calendar exceptions
-- (egov.reference.calendar; admin-procedures, which publishes them, keeps its own table).
CREATE TABLE reference_calendar_exceptions (
    day        date PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('day-off', 'working-day')),
    note       text NOT NULL DEFAULT '',
    entered_by text NOT NULL DEFAULT '',
    entered_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
