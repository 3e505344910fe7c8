"""The one exception tree of modelreg.

::

    RegistryError                      INTERNAL_ERROR
    ├── NotFound                       RESOURCE_DOES_NOT_EXIST
    ├── AlreadyExists                  RESOURCE_ALREADY_EXISTS
    ├── InvalidArgument                INVALID_PARAMETER_VALUE
    │   └── InvalidState               INVALID_STATE
    ├── Conflict                       RESOURCE_CONFLICT
    ├── PermissionDenied               PERMISSION_DENIED
    ├── Unauthenticated                UNAUTHENTICATED
    ├── TemporarilyUnavailable         TEMPORARILY_UNAVAILABLE
    ├── QueryTimeout                   DEADLINE_EXCEEDED
    ├── IntegrityFailure               DATA_LOSS
    └── Misconfigured                  INTERNAL_ERROR

Every class carries the MLflow error code it stands for (``error_code``), so the
wire layer and the HTTP client can translate in both directions. HTTP statuses are
not here: the server maps them by class at the edge.
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base of every error modelreg raises on purpose."""

    error_code: str = "INTERNAL_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFound(RegistryError):
    """The named resource does not exist."""

    error_code = "RESOURCE_DOES_NOT_EXIST"


class AlreadyExists(RegistryError):
    """A resource with that identity already exists."""

    error_code = "RESOURCE_ALREADY_EXISTS"


class InvalidArgument(RegistryError):
    """An argument was malformed or out of range; the message says what is allowed."""

    error_code = "INVALID_PARAMETER_VALUE"


class InvalidState(InvalidArgument):
    """The request is well formed but the resource's state does not allow it."""

    error_code = "INVALID_STATE"


class Conflict(RegistryError):
    """A concurrent change won; retrying may succeed."""

    error_code = "RESOURCE_CONFLICT"


class PermissionDenied(RegistryError):
    """The caller is known but not allowed to do this."""

    error_code = "PERMISSION_DENIED"


class Unauthenticated(RegistryError):
    """The caller did not prove who they are."""

    error_code = "UNAUTHENTICATED"


class TemporarilyUnavailable(RegistryError):
    """The database or artifact store could not be reached; retry later."""

    error_code = "TEMPORARILY_UNAVAILABLE"


class QueryTimeout(RegistryError):
    """A read ran past the statement timeout and was cancelled; repeating it would too.

    Not a "try again later": the same request against the same data takes as long
    again, so it must be narrowed (a more selective filter, a smaller page).
    """

    error_code = "DEADLINE_EXCEEDED"


class IntegrityFailure(RegistryError):
    """Stored model files no longer match the manifest recorded at registration."""

    error_code = "DATA_LOSS"


class Misconfigured(RegistryError):
    """The server's own setup is wrong (an artifact folder it may not write, say).

    Not a "try again later": nothing changes until an operator fixes the setup, so it is
    a 500 without Retry-After, and the message says what to fix.
    """

    error_code = "INTERNAL_ERROR"


_BY_CODE: dict[str, type[RegistryError]] = {
    cls.error_code: cls
    for cls in (
        NotFound,
        AlreadyExists,
        InvalidArgument,
        InvalidState,
        Conflict,
        PermissionDenied,
        Unauthenticated,
        TemporarilyUnavailable,
        QueryTimeout,
        IntegrityFailure,
    )
}
# MLflow spellings that mean the same thing as one of ours.
_BY_CODE.update(
    {
        "NOT_FOUND": NotFound,
        "ENDPOINT_NOT_FOUND": NotFound,
        "ALREADY_EXISTS": AlreadyExists,
        "BAD_REQUEST": InvalidArgument,
        "ABORTED": Conflict,
        "CUSTOMER_UNAUTHORIZED": Unauthenticated,
    }
)


def error_for_code(error_code: str, message: str) -> RegistryError:
    """Rebuild the exception a peer reported as ``error_code`` (used by the HTTP client)."""
    cls = _BY_CODE.get(error_code, RegistryError)
    error = cls(message)
    if cls is RegistryError:
        error.error_code = error_code
    return error


__all__ = [
    "AlreadyExists",
    "Conflict",
    "IntegrityFailure",
    "InvalidArgument",
    "InvalidState",
    "Misconfigured",
    "NotFound",
    "PermissionDenied",
    "QueryTimeout",
    "RegistryError",
    "TemporarilyUnavailable",
    "Unauthenticated",
    "error_for_code",
]
