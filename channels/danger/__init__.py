"""Danger to a person now: the words backstop (`words`), the semantic classifier (`semantic`),
and `assess.assess` over both. Kept empty so the build environment imports only what it needs.
"""
