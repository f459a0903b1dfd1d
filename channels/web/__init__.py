"""The web chat channel: the page, its script, and the JSON endpoint it talks to."""
