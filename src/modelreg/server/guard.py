"""The gate of a server with ``--auth``: every route's declared requirement, enforced.

JSON calls (:mod:`modelreg.server.api`) ask :meth:`Gate.principal` for the caller, then
check the endpoint's requirement before the handler runs (on the handler's thread), or
before a cached response is served (bounded SQLite reads, on the event loop). Other
routes (the artifact proxy's byte streams, the OpenAPI document) are wrapped whole by
:meth:`Gate.guard_raw`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from modelreg.errors import RegistryError
from modelreg.principal import ANONYMOUS, Principal
from modelreg.server.auth_gate import Authenticator, AuthFailure
from modelreg.server.authz import Authorizer, Open, Requirement
from modelreg.server.body import parse_query
from modelreg.server.context import Call
from modelreg.server.errors import JsonResponse, registry_error_response
from modelreg.server.runner import Runner
from modelreg.server.wire import Params

Handler = Callable[[Call], Mapping[str, Any]]
RawEndpoint = Callable[[Request], Awaitable[Response]]
# Where a guarded raw endpoint finds its verified caller.
PRINCIPAL_SCOPE_KEY = "modelreg.principal"


@dataclass(frozen=True, slots=True)
class Gate:
    authenticator: Authenticator
    authorizer: Authorizer
    runner: Runner

    async def principal(
        self, requirement: Requirement, authorization: str | None, client: str | None
    ) -> Principal:
        """The verified caller; open routes need none (the caller is ``anonymous``)."""
        if isinstance(requirement, Open):
            return ANONYMOUS
        return await self.authenticator.principal(authorization, client)

    def checked(self, requirement: Requirement, handler: Handler) -> Handler:
        """``handler`` preceded by the requirement's check (and followed by creator grants)."""
        authorizer = self.authorizer

        def run(call: Call) -> Mapping[str, Any]:
            authorizer.check(requirement, call.principal, call.params)
            result = handler(call)
            authorizer.after(requirement, call.principal, call.params, lambda: result)
            return result

        return run

    def guard_raw(self, requirement: Requirement, inner: RawEndpoint) -> RawEndpoint:
        """A non-JSON endpoint that authenticates and checks before it runs."""
        if isinstance(requirement, Open):
            return inner

        async def guarded(request: Request) -> Response:
            scope = request.scope
            client = scope.get("client")
            try:
                principal = await self.principal(
                    requirement,
                    request.headers.get("authorization"),
                    client[0] if client else None,
                )
                params = Params(query=parse_query(scope.get("query_string", b""))).with_path(
                    request.path_params
                )
                await self.runner.run(self.authorizer.check, requirement, principal, params)
            except AuthFailure as failure:
                response = JsonResponse(failure.body, failure.status)
                response.raw_headers += failure.headers
                return response
            except RegistryError as error:
                return registry_error_response(error)
            scope[PRINCIPAL_SCOPE_KEY] = principal
            return await inner(request)

        return guarded


__all__ = ["PRINCIPAL_SCOPE_KEY", "Gate"]
