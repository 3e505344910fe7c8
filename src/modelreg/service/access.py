"""The seam where read permissions meet the service layer.

Some use cases read another owner's data on the caller's behalf: registering a version
from ``models:/B/1`` copies model B's files, registering from a run or from a path in
the artifact store reads an experiment's files. The service asks a
:class:`ReadAccess` before it does. Without permissions (the embedded registry, a
server without ``--auth``) every caller may read everything (:data:`ALLOW_ALL`); with
``--auth``, :func:`~modelreg.service.assembly.build_services` wires in
:class:`~modelreg.service.auth.access.GrantAccess`, computed from the grants.
"""

from __future__ import annotations

from typing import Final, Protocol

from modelreg.principal import Principal


class ReadAccess(Protocol):
    """Whether a principal may read a registered model or an experiment's runs."""

    def may_read_model(self, principal: Principal, name: str) -> bool: ...

    def may_read_experiment(self, principal: Principal, experiment_id: str) -> bool: ...

    def may_read_store(self, principal: Principal) -> bool:
        """Files of the artifact store that belong to no experiment (its root, …)."""
        ...


class AllowAll:
    """Everyone may read everything: the behaviour before permissions exist."""

    def may_read_model(self, principal: Principal, name: str) -> bool:
        return True

    def may_read_experiment(self, principal: Principal, experiment_id: str) -> bool:
        return True

    def may_read_store(self, principal: Principal) -> bool:
        return True


ALLOW_ALL: Final[ReadAccess] = AllowAll()

__all__ = ["ALLOW_ALL", "AllowAll", "ReadAccess"]
