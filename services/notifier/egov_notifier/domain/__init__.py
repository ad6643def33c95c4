"""The notifier's domain: rules, templates, retry policy, webhook signatures (pure)."""
