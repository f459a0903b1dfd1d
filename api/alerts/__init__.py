"""Staff alerts: written with the case (outbox), delivered at least once by a background worker."""
