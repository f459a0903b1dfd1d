"""Throwaway back-end services (Redis, PostgreSQL) under var/ for tests and local runs."""
