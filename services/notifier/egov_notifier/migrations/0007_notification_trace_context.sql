-- The trace a notification was decided in (W3C traceparent and tracestate), so its delivery
-- attempts, made later by the dispatcher, belong to the trace of the event that caused them.
-- Nullable: notifications decided before, and digests, start their own trace.
ALTER TABLE notifications ADD COLUMN traceparent text, ADD COLUMN tracestate text;
