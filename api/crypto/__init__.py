"""Encryption at rest (SECURITY.md 1-2): envelope encryption, keyed hashes, key rotation."""
