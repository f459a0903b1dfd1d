"""Settings a landlord's production would start with (own keys, https addresses); tests change
one thing at a time to see each refusal on its own."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from api.settings import REPO_ROOT, Settings


def random_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def production_settings(var_dir: Path, **changes: object) -> Settings:
    given: dict[str, object] = {
        "env": "production",
        "var_dir": var_dir,
        "master_keys": f"prod1:{random_key()}",
        "hash_key": random_key(),
        "service_token": "production-service-token-0123456789",
        "rasa_token": "production-rasa-token-0123456789",
        "org_dir": REPO_ROOT / "orgs",
        "public_base_url": "https://chat.landlord.example",
        "staff_base_url": "https://staff.landlord.example",
    }
    return Settings(**(given | changes))
