"""Encrypted backups (`make backup`, `make restore`): the database and the keyring that opens it,
each in its own file sealed to a backup key whose secret half is kept off the server."""
