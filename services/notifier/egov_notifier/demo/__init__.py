"""Demo data of the notifier: templates, rules, recipients, and sample events."""
