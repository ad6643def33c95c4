"""egov_workdays"""
