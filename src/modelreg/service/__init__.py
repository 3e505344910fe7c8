"""Use cases and rules: the only layer that opens transactions and records events."""

from __future__ import annotations

from modelreg.service.registry import RegistryService

__all__ = ["RegistryService"]
