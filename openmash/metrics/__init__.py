"""Indicators of how the MASH is doing (issue 5): each defined once, computed in the
database, shown to MASH managers and analysts as aggregates only."""
