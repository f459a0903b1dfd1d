"""Cases: a disclosure stored encrypted, triaged, and raised as an alert in one transaction."""
