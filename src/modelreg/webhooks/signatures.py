"""Request signatures, each exactly as its vendor documents how to verify it."""

from __future__ import annotations

import base64
import hashlib
import hmac


def mlflow_signature(secret: str, delivery_id: str, timestamp: str, body: str) -> str:
    """``X-MLflow-Signature``: ``v1,`` + base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}``."""
    signed = f"{delivery_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def databricks_signature(secret: str, body: bytes) -> str:
    """``X-Databricks-Signature``: hex HMAC-SHA256 of the request body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
