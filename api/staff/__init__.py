"""Staff accounts, login with a second factor, sessions, and the minimal alerts inbox."""
