-- The report's "in progress, overdue at E" count in two parts, each read from an index of its
-- own: the dossiers still open (by deadline) and those finished after their deadline (by when
-- they were finished, so a period not over yet reads none of them). They replace the one
-- index of both (0003), which a report of the current period read whole.
CREATE INDEX dossiers_open_due ON dossiers (due_at)
    INCLUDE (unit_code, procedure_code, channel, received_at)
    WHERE finished_at IS NULL;
CREATE INDEX dossiers_finished_late ON dossiers (finished_at)
    INCLUDE (due_at, unit_code, procedure_code, channel, received_at)
    WHERE finished_at > due_at;
DROP INDEX dossiers_late_or_open;
