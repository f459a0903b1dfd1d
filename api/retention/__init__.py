"""Retention (SECURITY.md 4): closed cases and unused follow-up codes are deleted in time."""
