"""The administrative-procedure domain: pure rules, no I/O."""
