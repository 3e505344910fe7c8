"""Authentication and authorisation: users, tokens, groups, grants (``--auth``)."""

from modelreg.service.auth.levels import Level, parse_level
from modelreg.service.auth.policy import GrantPolicy, Visibility, subjects_of
from modelreg.service.auth.service import AuthService, Role, TokenInfo, User

__all__ = [
    "AuthService",
    "GrantPolicy",
    "Level",
    "Role",
    "TokenInfo",
    "User",
    "Visibility",
    "parse_level",
    "subjects_of",
]
