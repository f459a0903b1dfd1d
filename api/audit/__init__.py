"""Hash-chained audit of every read and change of casework (SECURITY.md 10)."""
