-- The trace context of each outbox row's event (W3C traceparent and tracestate, as the event
-- carries them: the CloudEvents distributed-tracing extension), so the relay sends the record
-- inside the trace that produced it without parsing the value. Nullable, no default: adding
-- them rewrites nothing, and a row written by a release without them is sent as before.
ALTER TABLE outbox ADD COLUMN traceparent text, ADD COLUMN tracestate text;
