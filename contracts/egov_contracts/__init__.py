"""egov_contracts"""
