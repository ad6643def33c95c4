"""egov_notifier"""
