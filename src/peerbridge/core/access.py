"""The access policy, declared once per route.

Every URL pattern and every API operation carries a `Policy`. The policy says who may
reach the route at all (anyone, any signed-in user, or holders of given roles); the
`access_*` selectors in each app then fetch the object and authorise in one call,
answering 404 outside the user's scope. `undeclared_routes()` walks the URL resolver
and lists every route without a policy: a system check and the authorization-matrix
test both fail on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Literal, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver
from ninja.operation import PathView

from peerbridge.core.models import User

PolicyKind = Literal["public", "signed_in", "roles"]


@dataclass(frozen=True)
class Policy:
    name: str
    kind: PolicyKind
    description: str
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_public(self) -> bool:
        return self.kind == "public"


PUBLIC = Policy("public", "public", "Anyone, signed in or not.")
SIGNED_IN = Policy(
    "signed-in", "signed_in", "Any signed-in user; shows only what their own roles reach."
)


def role_policy(name: str, roles: set[str] | frozenset[str], description: str) -> Policy:
    if not roles:
        raise ValueError(f"Policy {name} names no roles.")
    return Policy(name, "roles", description, frozenset(roles))


ViewFunc = TypeVar("ViewFunc", bound=Callable[..., Any])
RoleResolver = Callable[[Any], set[str]]
_role_resolver: list[RoleResolver] = []


def set_role_resolver(resolver: RoleResolver) -> None:
    """The organisations app tells core how to read a user's current roles."""
    _role_resolver[:] = [resolver]


def holds_any_role(user: Any, policy: Policy) -> bool:
    if policy.kind != "roles":
        return True
    if not _role_resolver:
        raise RuntimeError("No role resolver registered: is peerbridge.organisations installed?")
    return bool(_role_resolver[0](user) & policy.roles)


def require_roles(user: Any, policy: Policy) -> None:
    """For routes with no object to scope by (lists, libraries, the user's own page):
    a user holding none of the policy's roles is refused outright (403). Routes on an
    object leave this to their access_* selector (404 outside scope)."""
    if not holds_any_role(user, policy):
        raise PermissionDenied


def view_policy(policy: Policy) -> Callable[[ViewFunc], ViewFunc]:
    """Declare a Django view's policy. Non-public views require a signed-in user; a role
    policy also requires one of its roles somewhere (the object's scope is checked by
    the view's access_* selector)."""

    def decorate(view: ViewFunc) -> ViewFunc:
        if policy.is_public:
            view.access_policy = policy  # type: ignore[attr-defined]
            return view

        @wraps(view)
        def signed_in_only(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not holds_any_role(request.user, policy):
                raise PermissionDenied
            response: HttpResponse = view(request, *args, **kwargs)
            return response

        signed_in_only.access_policy = policy  # type: ignore[attr-defined]
        return signed_in_only  # type: ignore[return-value]

    return decorate


def acting_user(request: HttpRequest) -> User:
    """The signed-in user behind a request that a policy has already let through."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def api_policy(policy: Policy) -> Callable[[ViewFunc], ViewFunc]:
    """Declare an API operation's policy (authentication is the API's own auth)."""

    def decorate(operation: ViewFunc) -> ViewFunc:
        operation.access_policy = policy  # type: ignore[attr-defined]
        return operation

    return decorate


@dataclass(frozen=True)
class Route:
    """One reachable route: a URL pattern, and for the API one HTTP method of it."""

    pattern: str
    name: str
    methods: tuple[str, ...]
    policy: Policy | None
    callback: Callable[..., Any]


def _ninja_path_view(callback: Callable[..., Any]) -> PathView | None:
    for cell in getattr(callback, "__closure__", None) or ():
        contents = cell.cell_contents
        if isinstance(contents, PathView):
            return contents
    return None


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str, namespace: str
) -> Iterator[tuple[str, str, URLPattern]]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            space = namespace
            if entry.namespace:
                space = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, route, space)
        else:
            name = entry.name or ""
            full_name = f"{namespace}:{name}" if namespace and name else name
            yield route, full_name, entry


def all_routes(urlconf: str | None = None) -> list[Route]:
    routes: list[Route] = []
    seen_path_views: set[int] = set()
    for pattern, name, entry in _walk(get_resolver(urlconf).url_patterns, "", ""):
        path_view = _ninja_path_view(entry.callback)
        if path_view is None:
            policy = getattr(entry.callback, "access_policy", None)
            routes.append(Route(pattern, name, ("*",), policy, entry.callback))
            continue
        # ninja registers one URL pattern per operation name, all serving one PathView.
        if id(path_view) in seen_path_views:
            continue
        seen_path_views.add(id(path_view))
        for operation in path_view.operations:
            policy = getattr(operation.view_func, "access_policy", None)
            routes.append(
                Route(pattern, name, tuple(operation.methods), policy, operation.view_func)
            )
    return routes


def undeclared_routes(urlconf: str | None = None) -> list[Route]:
    return [route for route in all_routes(urlconf) if route.policy is None]
