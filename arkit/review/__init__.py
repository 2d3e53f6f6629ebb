"""Sections of the rendered reports: each function produces one table or figure from a ledger."""
