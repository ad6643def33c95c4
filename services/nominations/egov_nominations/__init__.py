"""egov_nominations"""
