"""Links, cheaply: schema-valid products and suppliers are created as the manager, and each one created (201) is
then read and changed through the links its answer documents (GET/PATCH by SKU or code), every answer checked
as in test_fuzz_api.py. (schemathesis' own state machine over the whole document was tried: on a shop that keeps
its state between steps it reported its own data generation as flaky.)"""
from __future__ import annotations

import hypothesis
import pytest
from hypothesis import HealthCheck, Phase, given

from fuzz_harness import SEED, TALLY, examples
from test_fuzz_api import WRITES, _assert_error_shape, schema

CREATES = {"/api/v1/products": "sku", "/api/v1/suppliers": "code"}


def _settings() -> hypothesis.settings:
    return hypothesis.settings(max_examples=max(5, examples()), deadline=None, database=None,
                               derandomize=SEED is None, phases=(Phase.generate,),
                               suppress_health_check=list(HealthCheck))


def _check(case, response, headers, ledger, before, label: str) -> None:
    case.validate_response(response, headers=headers)
    TALLY.add(label, response.status_code)
    if response.status_code >= 400:
        _assert_error_shape(case, response)
        if before is not None:
            TALLY.refused_writes += 1
            assert ledger.digest() == before, f"{case.method} {case.formatted_path} changed the shop"


@pytest.mark.parametrize("path", sorted(CREATES))
def test_a_created_thing_is_reachable_through_its_links(path, fuzz_app, fuzz_tokens, ledger):
    create = schema[path]["POST"]
    links = create.definition.raw["responses"]["201"]["links"]
    headers = {"Authorization": f"Bearer {fuzz_tokens['manager']}"}

    @hypothesis.settings(_settings())
    @given(case=create.as_strategy())
    def run(case):
        before = ledger.digest()
        response = case.call(headers=headers)
        _check(case, response, headers, ledger, before, "manager (links)")
        if response.status_code != 201:
            return
        created = response.json()
        for link in links.values():
            target_path, method = _operation_ref(link["operationRef"])
            (param, expression), = link["parameters"].items()
            target = schema[target_path][method.upper()]
            body = {"body": {}, "media_type": "application/json"} if method == "patch" else {}  # PATCH {}: no change
            follow = target.Case(path_parameters={param: created[expression.rsplit("/", 1)[1]]}, **body)
            before = ledger.digest() if method.upper() in WRITES else None
            _check(follow, follow.call(headers=headers), headers, ledger, before, "manager (links)")

    run()


def _operation_ref(ref: str) -> tuple[str, str]:
    """`#/paths/~1api~1v1~1products~1{sku}/get` -> ("/api/v1/products/{sku}", "get")."""
    pointer, method = ref.removeprefix("#/paths/").rsplit("/", 1)
    return pointer.replace("~1", "/").replace("~0", "~"), method
