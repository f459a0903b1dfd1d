"""Custom actions for Quiet Door, run by the rasa-sdk action server (`rasa run actions`).

Each module holds one action; they talk to the case service over HTTP (see case_service.py)
and reply by response name only, so every word a resident reads lives in bot/domain/.
"""
