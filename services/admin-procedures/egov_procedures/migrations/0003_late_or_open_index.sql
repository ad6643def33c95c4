-- The report form's "in progress, overdue at the end of the period" reads only dossiers still
-- open or finished after their deadline: a small share of all dossiers, indexed by deadline
-- with what the count filters and groups by, so the count reads this index alone.
CREATE INDEX dossiers_late_or_open ON dossiers (due_at)
    INCLUDE (unit_code, procedure_code, channel, received_at, finished_at)
    WHERE finished_at IS NULL OR finished_at > due_at;
