"""A web chat report is counted against its address by the running product: the gateway's keyed
hash of the address travels through Rasa's metadata and the action to the case service, which
counts it (the cap itself: tests/api/test_report_cap.py)."""

from __future__ import annotations

import sqlite3

from api.crypto.hashing import keyed_hash
from api.crypto.keys import parse_hash_key
from channels.web.limits import ADDRESS_KEY_PURPOSE
from tests.e2e.conftest import Product
from tests.e2e.test_report_is_sealed import REFERENCE, take_report


def reports_from(product: Product, address: str) -> int:
    key = keyed_hash(parse_hash_key(product.stack.env["QD_HASH_KEY"]), ADDRESS_KEY_PURPOSE, address)
    with sqlite3.connect(product.var_dir / "quietdoor.db") as db:
        rows = db.execute(
            "SELECT reports FROM web_report_counts WHERE address_hash = ?", (key,)
        ).fetchall()
    return sum(reports for (reports,) in rows)


def test_a_web_report_is_counted_against_its_address_never_stored_with_it(
    product: Product, sender: str
) -> None:
    before = reports_from(product, "127.0.0.1")
    transcript = take_report(product, sender)
    reference = REFERENCE.search(transcript)
    assert reference, transcript
    assert reports_from(product, "127.0.0.1") == before + 1
    with sqlite3.connect(product.var_dir / "quietdoor.db") as db:
        [(review_reason,)] = db.execute(
            "SELECT review_reason FROM cases WHERE reference = ?", (reference.group(0),)
        ).fetchall()
    assert review_reason is None
