"""Artifact path and store-URI validation (pure: standard library and errors only).

Every artifact path a user or a URL hands us goes through :func:`safe_relative_path`
before it touches a filesystem or a bucket. MLflow's history (security checklist §2.1,
T-09/T-10) shows what gets tried: ``..`` segments, absolute paths, backslashes,
``%2e%2e%2f`` once, twice or three times encoded, ``;`` path parameters, ``#`` and
``?`` that one parser ignores and another honours, drive letters, NUL bytes. The rule
here is to reject, never to repair: a path that needs repairing was not written by an
honest client.
"""

from __future__ import annotations

import os
import posixpath
import re
import unicodedata
from urllib.parse import unquote, urlsplit

from modelreg.errors import InvalidArgument

SUPPORTED_STORE_URIS = "a local path, file:///absolute/path, s3://bucket/prefix"

# Decoding more rounds than this is not something a real client does.
_MAX_DECODE_ROUNDS = 8
# S3 keys are limited to 1024 bytes; common filesystems limit a name to 255 bytes.
_MAX_PATH_BYTES = 1024
_MAX_SEGMENT_BYTES = 255
# Characters that mean something to some parser on the way (URL query, fragment, path
# parameter, Windows separator), so they never belong in an artifact name.
_FORBIDDEN_CHARS = ("\\", ";", "#", "?")
# Control, format (bidi overrides, zero-width), surrogate and line/paragraph separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
# Lenient on purpose: legacy buckets may hold upper case and underscores.
_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")


def _show(path: str) -> str:
    text = repr(path)
    return text if len(text) <= 120 else text[:117] + "..."


class _Rejected(Exception):
    """Internal: carries the reason, so callers can word the public message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _fully_decoded(path: str) -> str:
    # Whoever consumes the path later may decode it again, so judge the form that
    # survives any number of decodings, not just the one we were given.
    current = path
    for _ in range(_MAX_DECODE_ROUNDS):
        decoded = unquote(current)
        if decoded == current:
            return current
        current = decoded
    raise _Rejected("it is percent-encoded too many times")


def _is_dot_only(segment: str) -> bool:
    # Windows drops trailing dots and spaces, so '.. ' and '...' behave like '..'.
    return segment != "" and segment.rstrip(". ") == ""


def _check_segment(raw: str, segment: str) -> None:
    """Check one segment in raw form (``raw``) and fully decoded form (``segment``)."""
    if segment in ("", "."):
        if raw != segment:
            raise _Rejected("percent-encoded '.' segments are not allowed")
        return
    if _is_dot_only(segment):
        raise _Rejected("'..' segments are not allowed")
    for char in _FORBIDDEN_CHARS:
        if char in segment:
            raise _Rejected(f"{char!r} is not allowed in artifact paths")
    for char in segment:
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            raise _Rejected("control characters are not allowed")
    if segment.startswith("~"):
        raise _Rejected("segments starting with '~' are not allowed")
    if _DRIVE_LETTER.match(segment):
        raise _Rejected("drive letters are not allowed")
    # Some consumers fold compatibility characters (fullwidth '．', '／', '＼').
    folded = unicodedata.normalize("NFKC", segment)
    if folded != segment and (
        _is_dot_only(folded) or any(sep in folded for sep in ("/", "\\", ":"))
    ):
        raise _Rejected("look-alikes of separators or dots are not allowed")
    if len(segment.encode("utf-8", "surrogatepass")) > _MAX_SEGMENT_BYTES:
        raise _Rejected(f"a segment is longer than {_MAX_SEGMENT_BYTES} bytes")


def _clean(path: str) -> str:
    decoded = _fully_decoded(path)
    if decoded.startswith("/"):
        raise _Rejected("absolute paths are not allowed")
    raw_segments = path.split("/")
    decoded_segments = decoded.split("/")
    if len(raw_segments) != len(decoded_segments):
        raise _Rejected("percent-encoded '/' is not allowed")
    for raw, segment in zip(raw_segments, decoded_segments, strict=True):
        _check_segment(raw, segment)
    clean = "/".join(s for s in raw_segments if s not in ("", "."))
    if len(clean.encode("utf-8")) > _MAX_PATH_BYTES:
        raise _Rejected(f"it is longer than {_MAX_PATH_BYTES} bytes")
    return clean


def safe_relative_path(path: str) -> str:
    """Return ``path`` as a clean POSIX relative path, or raise ``InvalidArgument``.

    Empty segments and ``.`` segments are dropped and a trailing ``/`` is removed, so
    ``"./a//b/"`` becomes ``"a/b"`` and ``""``, ``"."`` and ``"./"`` mean the root
    (``""``). Everything else that could leave the root or be read differently by
    another parser is rejected, in raw form and after percent-decoding until stable.

    The result is *not* percent-decoded: the transport decodes a URL exactly once
    (the web framework does that), and escapes still left are taken literally once
    they are known to hide nothing (``"100%25.txt"`` is a file with that name).
    """
    if not isinstance(path, str):
        raise InvalidArgument(f"Invalid path: expected a string, got {type(path).__name__}")
    try:
        return _clean(path)
    except _Rejected as exc:
        raise InvalidArgument(f"Invalid path {_show(path)}: {exc.reason}") from None


def join_under(root: str, rel: str) -> str:
    """Join a validated relative path under ``root`` (a directory path or a URI)."""
    if not root:
        raise InvalidArgument("Cannot join an artifact path under an empty root")
    clean = safe_relative_path(rel)
    if not clean:
        return root
    return f"{root.rstrip('/')}/{clean}"


def _invalid_uri(uri: str, reason: str) -> InvalidArgument:
    return InvalidArgument(f"Invalid artifact store URI {_show(uri)}: {reason}")


def _checked_local_root(uri: str, path: str) -> str:
    # Reuse the artifact-path rules on the root itself: a root that arrives through an
    # experiment's artifact_location is user input too (checklist §2.2/2.3), and
    # normalising '..' away here would let it escape a prefix check done upstream.
    try:
        _clean(path.lstrip("/"))
    except _Rejected as exc:
        raise _invalid_uri(uri, exc.reason) from None
    return posixpath.normpath(os.path.abspath(path)).replace("//", "/")


def parse_store_uri(uri: str) -> tuple[str, str]:
    """Split an artifact store URI into ``(scheme, root)``.

    ``scheme`` is ``"file"`` with an absolute local directory as ``root``, or ``"s3"``
    with ``"bucket/prefix"`` as ``root``. Query strings, fragments, remote hosts in
    ``file:`` URIs, ``..`` segments and unknown schemes raise ``InvalidArgument``.
    """
    if not isinstance(uri, str) or not uri.strip():
        raise InvalidArgument(f"Invalid artifact store URI: expected {SUPPORTED_STORE_URIS}")
    if any(unicodedata.category(c) in _FORBIDDEN_CATEGORIES for c in uri):
        raise _invalid_uri(uri, "control characters are not allowed")
    if "?" in uri or "#" in uri:
        raise _invalid_uri(uri, "query strings and fragments are not allowed")
    match = _SCHEME.match(uri)
    scheme = match.group(1).lower() if match else ""
    if scheme == "":
        return "file", _checked_local_root(uri, uri)
    if scheme == "file":
        parts = urlsplit(uri)
        if parts.netloc not in ("", "localhost"):
            raise _invalid_uri(uri, "file: URIs must not name a host")
        path = unquote(parts.path)
        if not path.startswith("/"):
            raise _invalid_uri(uri, "file: URIs must be absolute (file:///path)")
        return "file", _checked_local_root(uri, path)
    if scheme == "s3":
        parts = urlsplit(uri)
        if not _BUCKET.match(parts.netloc):
            raise _invalid_uri(uri, "expected s3://bucket/prefix")
        try:
            prefix = _clean(parts.path.lstrip("/"))
        except _Rejected as exc:
            raise _invalid_uri(uri, exc.reason) from None
        return "s3", f"{parts.netloc}/{prefix}" if prefix else parts.netloc
    raise _invalid_uri(uri, f"unsupported scheme {scheme!r}; supported: {SUPPORTED_STORE_URIS}")


__all__ = [
    "SUPPORTED_STORE_URIS",
    "join_under",
    "parse_store_uri",
    "safe_relative_path",
]
