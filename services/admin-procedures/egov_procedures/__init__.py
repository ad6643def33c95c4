"""egov_procedures"""
