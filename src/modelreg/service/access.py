"""The seam where read permissions meet the service layer (implemented by auth later).

Some use cases read another owner's data on the caller's behalf: registering a version
from ``models:/B/1`` copies model B's files, registering from a run reads that run's
experiment. The service asks a :class:`ReadAccess` before it does; until permissions
exist every caller may read everything (:data:`ALLOW_ALL`), which is what
:func:`~modelreg.service.assembly.build_services` wires in.
"""

from __future__ import annotations

from typing import Final, Protocol

from modelreg.principal import Principal


class ReadAccess(Protocol):
    """Whether a principal may read a registered model or an experiment's runs."""

    def may_read_model(self, principal: Principal, name: str) -> bool: ...

    def may_read_experiment(self, principal: Principal, experiment_id: str) -> bool: ...


class AllowAll:
    """Everyone may read everything: the behaviour before permissions exist."""

    def may_read_model(self, principal: Principal, name: str) -> bool:
        return True

    def may_read_experiment(self, principal: Principal, experiment_id: str) -> bool:
        return True


ALLOW_ALL: Final[ReadAccess] = AllowAll()

__all__ = ["ALLOW_ALL", "AllowAll", "ReadAccess"]
