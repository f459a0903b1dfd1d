"""Inbound channels: where a person's message enters the product."""
