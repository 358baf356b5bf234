"""schemathesis against the shop's own OpenAPI document, as each role, through WSGI (no server).

For every operation and role: no 5xx, the status is one the document lists, the body matches the schema
documented for that status (errors in the one error shape), and a refused write (any 4xx to a POST, PATCH,
PUT or DELETE) leaves the ledger digest as it was. Bounds and seed: see fuzz_harness.py and README.md.
"""
from __future__ import annotations

import itertools
import re

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from fuzz_harness import FUZZ_APP, OPERATION_PREFIXES, ROLES, ROLES_BY_OPERATION, SEED, TALLY, examples
from gerai.api import API_PREFIX

WRITES = {"POST", "PATCH", "PUT", "DELETE"}


def _config() -> SchemathesisConfig:
    # NUL is refused at the door for every text (400, gerai.app.refuse_nul_characters), which the document
    # cannot say field by field: positive cases leave it out, tests/test_bad_input.py covers it.
    generation = {"max-examples": examples(), "database": "none", "deterministic": SEED is None, "allow-x00": False}
    checks = {
        # Well-formed is not valid: an unknown SKU or unit is a 404/409/422 by the shop's rules, not its schema.
        "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]},
        # The API is lenient where that is harmless (a PATCH without a body changes nothing; `1` reads as true;
        # unknown query parameters are ignored): not a failure.
        "negative_data_rejection": {"enabled": False},
    }
    # The stateful run (test_fuzz_links.py) sends the manager's token on every call, so whatever auth it
    # generated is never what was sent: its "accepts invalid auth" check would misread that.
    stateful = {"checks": {"ignored_auth": {"enabled": False}}}
    data: dict = {"generation": generation, "checks": checks, "phases": {"stateful": stateful},
                  # PATCH /members/{member_no} also matches /members/purchases, so its Allow lists PATCH.
                  "operations": [{"include-path": f"{API_PREFIX}/members/purchases",
                                  "checks": {"allow_header_conformance": {"enabled": False}}}]}
    if SEED is not None:
        data["seed"] = SEED
    return SchemathesisConfig.from_dict(data)


_PATHS = "|".join(re.escape(API_PREFIX + p) for p in OPERATION_PREFIXES)
schema = schemathesis.openapi.from_wsgi(f"{API_PREFIX}/openapi.json", FUZZ_APP, config=_config()).include(
    path_regex=f"^({_PATHS})(/|$)")


@schema.parametrize()
def test_operation(case, fuzz_app, fuzz_tokens, ledger):
    """Each case goes out as every role the operation allows, and as one role it refuses (in turn)."""
    allowed = ROLES_BY_OPERATION[(case.operation.path, case.operation.method.upper())]
    if allowed is None:
        callers = ["anonymous"]
    else:
        refused = [r for r in ROLES if r not in allowed]
        callers = [*allowed, *([refused[next(_turn) % len(refused)]] if refused else [])]
    for role in callers:
        _send(case, role, fuzz_tokens, ledger)


_turn = itertools.count()


def _send(case, role, tokens, ledger) -> None:
    write = case.method.upper() in WRITES
    before, sums = (ledger.digest(), ledger.sums()) if write else (None, None)
    headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else None
    response = case.call_and_validate(headers=headers)
    TALLY.add(role, response.status_code)
    if response.status_code >= 400:
        _assert_error_shape(case, response)
    if write and 400 <= response.status_code < 500:
        TALLY.refused_writes += 1
        assert ledger.digest() == before, (
            f"{case.method} {case.formatted_path} as {role} answered {response.status_code} but changed the shop: "
            f"{sums} -> {ledger.sums()}")


def _assert_error_shape(case, response) -> None:
    """Every refusal is the one JSON error shape; a 422 names the fields at fault (or says which rule broke)."""
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), response.text[:200]
    body = response.json()
    assert body["code"] == response.status_code and body["message"], body
    if response.status_code == 422 and not body.get("errors"):
        TALLY.unnamed.add(f"{case.method} {case.path}: {body['status']}")
