"""The approval workflow's use cases, one module per concern (#9).

* :mod:`.comments`: Markdown comments on versions;
* :mod:`.requests`: transition and alias requests, approvals that execute the move;
* :mod:`.policies`: promotion policies per model and target;
* :mod:`.checks`: status checks (CI results) per version.

Each public method is one transaction that records its events in it. The gate every
direct move passes is :mod:`modelreg.service.policy_gate`. :class:`ApprovalsService`
is all of them and implements :class:`~modelreg.protocols.Approvals`.
"""

from __future__ import annotations

from modelreg.protocols import Approvals
from modelreg.service.approvals.checks import Checks
from modelreg.service.approvals.comments import Comments
from modelreg.service.approvals.policies import Policies
from modelreg.service.approvals.requests import Requests


class ApprovalsService(Comments, Requests, Policies, Checks, Approvals):
    """Comments, requests, policies and checks over one database, acting for one actor."""


__all__ = ["ApprovalsService"]
