"""egov_indicators"""
