"""Organisation profiles: what one landlord says and decides, kept as data."""
