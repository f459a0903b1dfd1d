"""Staff accounts, login with a second factor, sessions, CSRF."""
