"""Sealed backup files: X25519 to a backup key, then AES-256-GCM in 1 MiB chunks.

Why a key pair: the server holds only the public half (QD_BACKUP_PUBLIC_KEY), enough to seal a
backup and never enough to open one, so the secret half (QD_BACKUP_KEY) is needed only to restore
and is kept offline. It has its own form, so it can never be a master key given twice.

Layout (the STREAM construction age uses):

    header = b"QDBACKUP" | version | kind length | kind | recipient public key (32 bytes)
             | ephemeral public key (32) | nonce prefix (7)
    chunk  = AES-256-GCM(file key, nonce prefix | counter (4, big-endian) | last flag (1),
             up to 1 MiB of plaintext, associated data = header)

The file key is HKDF-SHA256 of the X25519 shared secret, bound to both public keys and the kind,
so a database file cannot stand in for a keyring file. Every chunk authenticates the header; the
counter and the last flag make a reordered, truncated or extended file fail. The plaintext is a
4-byte manifest length, the manifest (JSON: what, when, schema revision, sha256 and size of the
content), then the content, so nothing about a backup is readable without the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import os
import struct
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"QDBACKUP"
VERSION = 1
CHUNK = 1 << 20
TAG = 16
PREFIX_BYTES = 7
KEY_BYTES = 32
PUBLIC_PREFIX = "qd-backup-public-"
SECRET_PREFIX = "qd-backup-secret-"  # noqa: S105 (the form of a key, not a key)
_MAX_MANIFEST = 64 * 1024
_RAW = serialization.Encoding.Raw


class BackupKeyError(ValueError):
    """A backup key is missing or malformed; the message names the setting and the fix."""


class BackupFileError(Exception):
    """A backup file is not one, is damaged or was changed: nothing from it may be used."""


class WrongBackupKey(BackupFileError):
    """The file was sealed to another backup key than the one given."""


def _encode(prefix: str, raw: bytes) -> str:
    return prefix + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(prefix: str, text: str, name: str) -> bytes:
    text = text.strip()
    if not text.startswith(prefix):
        raise BackupKeyError(f"{name} is not a backup key (it starts {prefix!r})")
    body = text[len(prefix) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise BackupKeyError(f"{name} is not valid base64 after {prefix!r}") from None
    if len(raw) != KEY_BYTES:
        raise BackupKeyError(f"{name} must hold {KEY_BYTES} bytes")
    return raw


def public_text(key: X25519PublicKey) -> str:
    return _encode(PUBLIC_PREFIX, key.public_bytes(_RAW, serialization.PublicFormat.Raw))


def new_key_pair() -> tuple[str, str]:
    """(secret, public) as text: the secret for QD_BACKUP_KEY offline, the public for the server."""
    secret = X25519PrivateKey.generate()
    raw = secret.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return _encode(SECRET_PREFIX, raw), public_text(secret.public_key())


def parse_public(text: str, name: str = "QD_BACKUP_PUBLIC_KEY") -> X25519PublicKey:
    if not text.strip():
        raise BackupKeyError(
            f"{name} is not set: make a backup key with `python -m ops.backup new-key`, keep its "
            "secret line offline and give the public line to the server"
        )
    return X25519PublicKey.from_public_bytes(_decode(PUBLIC_PREFIX, text, name))


def parse_secret(text: str, name: str = "QD_BACKUP_KEY") -> X25519PrivateKey:
    if not text.strip():
        raise BackupKeyError(
            f"{name} (or QD_BACKUP_KEY_FILE) is not set: restoring needs the secret backup key "
            "printed by `python -m ops.backup new-key` when the backups were set up"
        )
    return X25519PrivateKey.from_private_bytes(_decode(SECRET_PREFIX, text, name))


def _file_key(shared: bytes, ephemeral: bytes, recipient: bytes, kind: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=ephemeral + recipient,
        info=f"quietdoor backup v{VERSION} {kind}".encode(),
    ).derive(shared)


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I?", counter, last)


def _chunks(pieces: Iterable[bytes]) -> Iterator[tuple[bytes, bool]]:
    """Exactly CHUNK-sized plaintexts, the last one (possibly shorter) flagged."""
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        while len(buffer) > CHUNK:
            yield bytes(buffer[:CHUNK]), False
            del buffer[:CHUNK]
    yield bytes(buffer), True


def _read(source: Path | bytes) -> Iterator[bytes]:
    if isinstance(source, bytes):
        yield source
        return
    with source.open("rb") as handle:
        while piece := handle.read(CHUNK):
            yield piece


def digest(source: Path | bytes) -> tuple[str, int]:
    """sha256 (hex) and size of the content, for the manifest."""
    hasher, size = hashlib.sha256(), 0
    for piece in _read(source):
        hasher.update(piece)
        size += len(piece)
    return hasher.hexdigest(), size


def create_private(path: Path) -> BinaryIO:
    """A new file only its owner can read or write (0600); never replaces an existing one."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def seal(
    dest: Path,
    recipient: X25519PublicKey,
    kind: str,
    manifest: dict[str, Any],
    source: Path | bytes,
) -> dict[str, Any]:
    """Write `source` sealed to `recipient` as a new 0600 file; returns the manifest written.

    The manifest gains `kind`, `sha256` and `size`, checked again when the file is opened.
    """
    sha256, size = digest(source)
    manifest = {**manifest, "kind": kind, "sha256": sha256, "size": size}
    manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    recipient_raw = recipient.public_bytes(_RAW, serialization.PublicFormat.Raw)
    prefix = os.urandom(PREFIX_BYTES)
    kind_bytes = kind.encode()
    header = (
        MAGIC
        + bytes([VERSION, len(kind_bytes)])
        + kind_bytes
        + recipient_raw
        + ephemeral_raw
        + prefix
    )
    aead = AESGCM(_file_key(ephemeral.exchange(recipient), ephemeral_raw, recipient_raw, kind))
    pieces = [struct.pack(">I", len(manifest_bytes)), manifest_bytes]
    with create_private(dest) as out:
        out.write(header)
        for counter, (chunk, last) in enumerate(_chunks(chain(pieces, _read(source)))):
            out.write(aead.encrypt(_nonce(prefix, counter, last), chunk, header))
        out.flush()
        os.fsync(out.fileno())
    return manifest


def _header(handle: BinaryIO, kind: str) -> tuple[bytes, bytes, bytes, bytes]:
    """(header, recipient, ephemeral, nonce prefix), or BackupFileError."""
    start = handle.read(len(MAGIC) + 2)
    if len(start) != len(MAGIC) + 2 or not start.startswith(MAGIC):
        raise BackupFileError("not a Quiet Door backup file")
    if start[len(MAGIC)] != VERSION:
        raise BackupFileError(f"backup file version {start[len(MAGIC)]} is not known here")
    found = handle.read(start[-1])
    rest = handle.read(2 * KEY_BYTES + PREFIX_BYTES)
    if len(rest) != 2 * KEY_BYTES + PREFIX_BYTES:
        raise BackupFileError("backup file is cut short")
    if found != kind.encode():
        raise BackupFileError(f"expected a {kind} file, found {found.decode(errors='replace')!r}")
    header = start + found + rest
    return header, rest[:KEY_BYTES], rest[KEY_BYTES : 2 * KEY_BYTES], rest[2 * KEY_BYTES :]


def _sealed_chunks(handle: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    """Sealed chunks, each with whether it is the file's last (nothing follows it)."""
    current = handle.read(CHUNK + TAG)
    while True:
        following = handle.read(CHUNK + TAG) if len(current) == CHUNK + TAG else b""
        yield current, not following
        if not following:
            return
        current = following


def open_sealed(path: Path, identity: X25519PrivateKey, kind: str, out: BinaryIO) -> dict[str, Any]:
    """Write the content of a sealed file to `out` and return its manifest.

    Raises WrongBackupKey if the file was sealed to another key, BackupFileError if any byte was
    changed or the content does not match its manifest. Until this returns, what was written to
    `out` is untrusted: a caller writes to a scratch file and uses it only afterwards.
    """
    own = identity.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    with path.open("rb") as handle:
        header, recipient, ephemeral, prefix = _header(handle, kind)
        if recipient != own:
            raise WrongBackupKey(
                f"this backup was sealed to another backup key "
                f"({public_text(X25519PublicKey.from_public_bytes(recipient))}), not to "
                f"QD_BACKUP_KEY ({public_text(identity.public_key())})"
            )
        try:
            shared = identity.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        except ValueError:  # a crafted low-order point: no shared secret at all
            raise BackupFileError(f"{path.name} was changed or damaged") from None
        aead = AESGCM(_file_key(shared, ephemeral, own, kind))
        hasher, size, manifest, head = hashlib.sha256(), 0, None, b""
        for counter, (sealed, last) in enumerate(_sealed_chunks(handle)):
            try:
                chunk = aead.decrypt(_nonce(prefix, counter, last), sealed, header)
            except InvalidTag:
                raise BackupFileError(f"{path.name} was changed or damaged") from None
            if manifest is None:
                head += chunk
                if (found := _manifest(head, last)) is None:
                    continue
                manifest, chunk = found
            hasher.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if manifest is None or manifest.get("kind") != kind:
        raise BackupFileError(f"{path.name} holds no {kind} manifest")
    if manifest.get("sha256") != hasher.hexdigest() or manifest.get("size") != size:
        raise BackupFileError(f"{path.name} does not match its manifest's sha256")
    return manifest


def _manifest(head: bytes, last: bool) -> tuple[dict[str, Any], bytes] | None:
    """The manifest at the start of the plaintext and the content after it, or None while
    more is needed (a manifest is far shorter than a chunk, but need not be)."""
    length = struct.unpack(">I", head[:4])[0] if len(head) >= 4 else None
    if length is not None and length > _MAX_MANIFEST:
        raise BackupFileError("backup file's manifest is malformed")
    if length is None or len(head) < 4 + length:
        if last:
            raise BackupFileError("backup file holds no manifest")
        return None
    try:
        manifest = json.loads(head[4 : 4 + length])
    except ValueError:
        raise BackupFileError("backup file's manifest is malformed") from None
    if not isinstance(manifest, dict):
        raise BackupFileError("backup file's manifest is malformed")
    return manifest, head[4 + length :]


def open_small(path: Path, identity: X25519PrivateKey, kind: str) -> tuple[dict[str, Any], bytes]:
    """A sealed file small enough to hold in memory (the keyring): never written to disk open."""
    out = io.BytesIO()
    manifest = open_sealed(path, identity, kind, out)
    return manifest, out.getvalue()
