-- The type of each outbox row's event (its ce_type header). With it the relay writes the
-- record's standard headers itself (content-type, ce_type, and ce_id from event_id), and
-- ``headers`` keeps only what a producer adds to them (a record credential): a JSON text per
-- event, written and parsed again, was a cost of every event published. Nullable, no default:
-- adding it rewrites nothing, and a row an earlier release wrote (NULL here, every header in
-- ``headers``) is sent with the headers it stored.
ALTER TABLE outbox ADD COLUMN event_type text;
