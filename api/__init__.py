"""Gateway application and case service for Quiet Door."""
