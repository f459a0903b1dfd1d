"""Messaging channels: what SMS, WhatsApp and Telegram share (contacts, inbox, turns)."""
