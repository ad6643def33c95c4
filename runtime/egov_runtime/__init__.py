"""egov_runtime"""
