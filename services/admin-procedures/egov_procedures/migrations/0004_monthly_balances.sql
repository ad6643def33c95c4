-- Monthly sums of what the report form needs from before a period: dossiers received and
-- finished (carried over = received - finished before the period's first day). The report
-- reads them for the months before the period's month and the daily aggregates only from that
-- month on, instead of every daily row since the first dossier.
--
-- Kept exact without touching the writers: a trigger appends each change of a daily row to
-- dossier_monthly_changes (an insert, no row is locked: concurrent batches cannot deadlock on
-- it), the report sums dossier_monthly and the changes in the same statement, and a periodic
-- job folds the changes into dossier_monthly in one transaction (the sums stay the same).
CREATE TABLE dossier_monthly (
    unit_code      text NOT NULL,
    month          date NOT NULL,  -- its first day
    procedure_code text NOT NULL,
    channel        text NOT NULL,
    received       bigint NOT NULL DEFAULT 0,
    finished       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_code, month, procedure_code, channel)
);

CREATE TABLE dossier_monthly_changes (
    unit_code      text NOT NULL,
    month          date NOT NULL,
    procedure_code text NOT NULL,
    channel        text NOT NULL,
    received       integer NOT NULL,
    finished       integer NOT NULL
);

CREATE FUNCTION dossier_daily_monthly_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (OLD.day, OLD.unit_code, OLD.procedure_code, OLD.channel)
           = (NEW.day, NEW.unit_code, NEW.procedure_code, NEW.channel) THEN
        IF (OLD.received, OLD.finished) <> (NEW.received, NEW.finished) THEN
            INSERT INTO dossier_monthly_changes
            VALUES (NEW.unit_code, date_trunc('month', NEW.day)::date, NEW.procedure_code,
                    NEW.channel, NEW.received - OLD.received, NEW.finished - OLD.finished);
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO dossier_monthly_changes
        VALUES (OLD.unit_code, date_trunc('month', OLD.day)::date, OLD.procedure_code,
                OLD.channel, -OLD.received, -OLD.finished);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO dossier_monthly_changes
        VALUES (NEW.unit_code, date_trunc('month', NEW.day)::date, NEW.procedure_code,
                NEW.channel, NEW.received, NEW.finished);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER dossier_daily_monthly AFTER INSERT OR UPDATE OR DELETE ON dossier_daily
    FOR EACH ROW EXECUTE FUNCTION dossier_daily_monthly_change();

INSERT INTO dossier_monthly (unit_code, month, procedure_code, channel, received, finished)
SELECT unit_code, date_trunc('month', day)::date, procedure_code, channel, sum(received),
       sum(finished)
FROM dossier_daily GROUP BY 1, 2, 3, 4;
