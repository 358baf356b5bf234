"""The API's error answers beyond field validation, as the fuzzer (tests/fuzz) met them."""
from __future__ import annotations


def test_a_method_not_allowed_lists_the_allowed_ones(issued_api):
    res = issued_api("manager").open("TRACE", "/products")
    assert res.status_code == 405
    assert res.get_json()["code"] == 405
    assert set(res.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
