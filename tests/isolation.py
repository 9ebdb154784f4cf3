"""Tenant isolation, proven operation by operation, for any service.

A service's isolation test keeps a table with one entry per operation of its OpenAPI
document: an `IsolationCase` (organisation A's people call the operation on organisation B's
real ids, then on guessed ids, and are refused; B's data reads back unchanged) or a `Public`
declaration (the operation needs no token, and says why that is safe). `assert_table_matches`
fails, naming them, for an operation without an entry and for an entry whose operation is
gone, so the table cannot fall behind the routes. `assert_isolated` runs the cases.

An operation may have several cases when one cannot say it all (the same download of a
customer's file and of an internal one): each names its `variant`. A body may be JSON or a
multipart form (`aiohttp.FormData`); an answer is searched for B's data whatever it is (JSON,
text such as CSV, or the files of a zip such as a spreadsheet).

    TABLE = (
        Public("GET /branding", "the vendor's name and logo, the same for everyone"),
        IsolationCase(
            "GET /tickets/{ticket_id}",
            answers={"a_user": 404, "a_admin": 404},
            ids={"ticket_id": "ticket"},
            control=("b_user", 200),
        ),
    )
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

ANONYMOUS = "anonymous"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass(frozen=True)
class Public:
    """An operation anyone may call without a token, and why no organisation's data is at
    stake."""

    operation: str
    reason: str

    @property
    def name(self) -> str:
        return self.operation


@dataclass(frozen=True)
class IsolationCase:
    """How organisation A's callers are refused one operation on organisation B's things.

    `operation` is "METHOD /path" as the OpenAPI document has it. Each caller of `answers`
    (a name of `Tenants.tokens`, or `ANONYMOUS`) must get its status twice: with B's real
    ids and with freshly guessed ones. `ids` maps each path parameter (and each id the body,
    or the query as `{name}`, carries) to a name of `Tenants.ids`; `params` fills path
    parameters that are no ids.
    `body` builds the request body from the ids of the attempt: what `json.dumps` takes, or an
    `aiohttp.FormData` sent as multipart/form-data. `variant` tells apart two cases of the same
    operation (say, a customer's file and an internal one). A 2xx answer is allowed only
    for an operation on the caller's own scope, which `own_scope` says. `control` is a
    rightful caller and its status on B's real ids, called last: the route works, so the
    refusals are refusals.
    """

    operation: str
    answers: Mapping[str, int]
    ids: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    body: Callable[[Mapping[str, str]], Any] | None = None
    query: str = ""
    own_scope: str = ""
    control: tuple[str, int] | None = None
    variant: str = ""

    @property
    def name(self) -> str:
        return f"{self.operation} ({self.variant})" if self.variant else self.operation

    @property
    def method(self) -> str:
        return self.operation.split(" ", 1)[0]

    @property
    def path(self) -> str:
        return self.operation.split(" ", 1)[1]


Entry = IsolationCase | Public


@dataclass
class Tenants:
    """Organisation A's people facing organisation B's things, on a running service.

    `tokens`: bearer tokens by caller name (A's user and admin, the vendor's staff, B's people
    for controls). `ids`: B's real ids by name. `foreign`: what of B no answer to A may
    contain (ids, names, emails, codes). `snapshot`: B's data, read back as B or as staff;
    it must not change while A's callers try.
    """

    url: str
    session: aiohttp.ClientSession
    tokens: Mapping[str, str]
    ids: Mapping[str, str]
    foreign: frozenset[str]
    snapshot: Callable[[], Awaitable[Any]]


def operations(document: Mapping[str, Any]) -> dict[str, bool]:
    """Every operation of an OpenAPI document as "METHOD /path" → whether it is public (its
    security is explicitly empty)."""
    found: dict[str, bool] = {}
    for path, item in document.get("paths", {}).items():
        for method, described in item.items():
            if method in HTTP_METHODS:
                found[f"{method.upper()} {path}"] = described.get("security") == []
    return found


def assert_table_matches(document: Mapping[str, Any], table: Iterable[Entry]) -> None:
    """Fail, naming each, for an operation with no entry, an entry for an operation that is
    gone, an operation with two entries, a `Public` entry for an operation that needs a token,
    and a case that is not well formed."""
    documented = operations(document)
    problems: list[str] = []
    seen: set[str] = set()
    named: set[str] = set()
    for entry in table:
        if entry.name in named:
            problems.append(f"{entry.name}: two entries (a second case needs its own variant)")
        named.add(entry.name)
        seen.add(entry.operation)
        if entry.operation not in documented:
            problems.append(f"{entry.operation}: an entry, but no such operation any more")
        elif isinstance(entry, Public) and not documented[entry.operation]:
            problems.append(f"{entry.operation}: declared public, but it needs a token")
        if isinstance(entry, Public) and not entry.reason.strip():
            problems.append(f"{entry.operation}: public without a reason")
        if isinstance(entry, IsolationCase):
            problems.extend(f"{entry.name}: {problem}" for problem in _malformed(entry))
    problems.extend(
        f"{operation}: no isolation case (and not declared public)"
        for operation in sorted(documented.keys() - seen)
    )
    assert not problems, "the isolation table does not match the API:\n" + "\n".join(problems)


def _malformed(case: IsolationCase) -> list[str]:
    problems: list[str] = []
    placeholders = {part[1:-1] for part in case.path.split("/") if part.startswith("{")}
    filled = set(case.params) | {name for name in case.ids if name in placeholders}
    if placeholders != filled:
        problems.append(f"path parameters {sorted(placeholders)} but filled {sorted(filled)}")
    if not case.answers:
        problems.append("no caller tries")
    if any(200 <= status < 300 for status in case.answers.values()) and not case.own_scope:
        problems.append("a caller of A succeeds, but own_scope does not say why that is safe")
    return problems


async def assert_isolated(tenants: Tenants, table: Iterable[Entry]) -> None:
    """Run every case of the table; fail with one paragraph per case that let A through."""
    failures: list[str] = []
    for entry in table:
        if isinstance(entry, IsolationCase):
            try:
                await check_case(tenants, entry)
            except AssertionError as error:
                failures.append(f"{entry.name}:\n  {error}")
    assert not failures, f"{len(failures)} operation(s) not isolated:\n" + "\n".join(failures)


async def check_case(tenants: Tenants, case: IsolationCase) -> None:
    real = {parameter: tenants.ids[name] for parameter, name in case.ids.items()}
    before = await tenants.snapshot()
    seen_by_b = json.dumps(before, sort_keys=True)
    unknown = [f"{name}={value}" for name, value in real.items() if value not in seen_by_b]
    assert not unknown, f"ids not in B's own data, so not B's real things: {unknown}"
    attempts = [("B's ids" if real else "no id", real)]
    if real:
        attempts.append(("guessed ids", {name: str(uuid.uuid4()) for name in real}))
    for caller, expected in case.answers.items():
        for label, ids in attempts:
            status, body = await _call(tenants, case, caller, ids)
            assert status == expected, (
                f"{caller} with {label}: {status}, expected {expected}: {body}"
            )
            leaked = _foreign_in(body, tenants.foreign)
            assert not leaked, f"{caller} with {label}: the answer shows B's {leaked}"
    after = await tenants.snapshot()
    assert after == before, f"B's data changed:\n  before {before}\n  after  {after}"
    if case.control is not None:
        caller, expected = case.control
        status, body = await _call(tenants, case, caller, real)
        assert status == expected, (
            f"control: {caller} with B's ids got {status}, expected {expected}: {body}"
        )


async def _call(
    tenants: Tenants, case: IsolationCase, caller: str, ids: Mapping[str, str]
) -> tuple[int, Any]:
    path = f"{case.path}?{case.query}" if case.query else case.path
    for name, value in {**case.params, **ids}.items():
        path = path.replace("{" + name + "}", value)
    headers = {} if caller == ANONYMOUS else {"Authorization": f"Bearer {tenants.tokens[caller]}"}
    body = case.body(ids) if case.body is not None else None
    sent: dict[str, Any] = {"data": body} if isinstance(body, aiohttp.FormData) else {"json": body}
    async with tenants.session.request(
        case.method, f"{tenants.url}{path}", headers=headers, **sent
    ) as response:
        return response.status, _readable(await response.read(), response.content_type)


def _readable(raw: bytes, content_type: str) -> Any:
    """An answer as a user would read it: JSON parsed, a zip (a spreadsheet, a document) as the
    text of its files, anything else as text."""
    if not raw:
        return None
    if content_type.endswith("json"):
        return json.loads(raw)
    if zipfile.is_zipfile(io.BytesIO(raw)):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            return "\n".join(
                archive.read(member).decode("utf-8", "replace") for member in archive.namelist()
            )
    return raw.decode("utf-8", "replace")


def _foreign_in(body: Any, foreign: Sequence[str] | frozenset[str]) -> list[str]:
    """What of B an answer shows; a problem's `instance` only echoes the path A asked for."""
    if isinstance(body, dict) and "instance" in body:
        body = {key: value for key, value in body.items() if key != "instance"}
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return sorted(marker for marker in foreign if marker in text)
