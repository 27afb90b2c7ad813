"""Extracts (issue 5, item 5): any table as CSV or Excel, Ofsted's Annex A lists 1 and 3,
and the Children in Need census referral items, for MASH managers."""
