"""The Protocols are the contract: every transport has every method, with the same
parameters and defaults, and the contract suites call every one of them.

mypy checks the types (the transports subclass the Protocols); defaults are values,
which mypy does not compare, so they are checked here.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from modelreg.client.http import HttpRegistry
from modelreg.client.http_approvals import HttpApprovals
from modelreg.client.http_history import HttpHistory
from modelreg.client.http_tracking import HttpTracking
from modelreg.protocols import Approvals, History, Registry, Tracking
from modelreg.service import RegistryService
from modelreg.service.approvals import ApprovalsService
from modelreg.service.tracking import TrackingService

CONTRACT_SUITES = {
    Registry: Path(__file__).parent / "test_registry_contract.py",
    Tracking: Path(__file__).parent / "test_tracking_contract.py",
    Approvals: Path(__file__).parent / "test_approvals_contract.py",
    History: Path(__file__).parent / "test_history_contract.py",
}
TRANSPORTS = {
    Registry: (RegistryService, HttpRegistry),
    Tracking: (TrackingService, HttpTracking),
    Approvals: (ApprovalsService, HttpApprovals),
    History: (RegistryService, HttpHistory),
}


def _methods(protocol: type) -> list[str]:
    return sorted(
        name
        for name, member in vars(protocol).items()
        if callable(member) and not name.startswith("_")
    )


def _signature(function: object) -> list[tuple[str, object, object]]:
    parameters = list(inspect.signature(function).parameters.values())[1:]  # self
    return [(p.name, p.kind, p.default) for p in parameters]


@pytest.mark.parametrize(
    "protocol", [Registry, Tracking, Approvals, History], ids=lambda p: p.__name__
)
def test_every_transport_has_every_method_with_the_same_signature(protocol: type) -> None:
    for transport in TRANSPORTS[protocol]:
        assert protocol in transport.__mro__
        for name in _methods(protocol):
            implemented = getattr(transport, name)
            assert _signature(implemented) == _signature(getattr(protocol, name)), (
                transport.__name__,
                name,
            )


def _called_attributes(source: Path) -> set[str]:
    return {
        node.func.attr
        for node in ast.walk(ast.parse(source.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


@pytest.mark.parametrize(
    "protocol", [Registry, Tracking, Approvals, History], ids=lambda p: p.__name__
)
def test_the_contract_suite_calls_every_method(protocol: type) -> None:
    # Each suite runs on both transports (fixtures `api`/`tracking_api`, `both*`), so a
    # method called there is exercised over the service and over HTTP alike.
    missing = set(_methods(protocol)) - _called_attributes(CONTRACT_SUITES[protocol])
    assert not missing, f"not exercised by {CONTRACT_SUITES[protocol].name}: {sorted(missing)}"
