"""The API's error answers beyond field validation, as the fuzzer (tests/fuzz) met them."""
from __future__ import annotations

import pytest


def test_a_method_not_allowed_lists_the_allowed_ones(issued_api):
    res = issued_api("manager").open("TRACE", "/products")
    assert res.status_code == 405
    assert res.get_json()["code"] == 405
    assert set(res.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


@pytest.mark.parametrize(("method", "path"), [("GET", ""), ("POST", "/close"), ("GET", "/report"), ("POST", "/print")])
def test_a_shift_id_past_64_bits_is_404_not_a_server_error(issued_api, method, path):
    res = issued_api("manager").open(method, f"/shifts/{2**64}{path}", json={"counted_cash": 0})
    assert res.status_code == 404 and res.get_json()["code"] == 404
