"""Rasa-side configuration for Quiet Door: domain, endpoints and the expiring tracker store."""
