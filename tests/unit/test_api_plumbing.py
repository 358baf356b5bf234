"""The API plumbing's shortcuts answer exactly as flask-smorest and webargs would."""
from __future__ import annotations

import json

import marshmallow as ma
import pytest
from flask_smorest.pagination import PaginationMixin
from hypothesis import given
from hypothesis import strategies as st

from gerai.api import ApiBlueprint, ExactJSONParser, PaginationParser


@given(page=st.integers(1, 40), page_size=st.integers(1, 500), item_count=st.integers(0, 20_000))
def test_the_pagination_header_is_flask_smorests_own(page, page_size, item_count):
    ours = ApiBlueprint._make_pagination_metadata(page, page_size, item_count)
    theirs = PaginationMixin._make_pagination_metadata(page, page_size, item_count)
    assert json.dumps(ours) == json.dumps(theirs)  # the same keys in the same order


class Query(ma.Schema):
    q = ma.fields.String(load_default="")


def test_a_schema_class_is_instantiated_once_per_parser():
    for parser in (ExactJSONParser(), PaginationParser()):
        first = parser._get_schema(Query, None)
        assert isinstance(first, Query) and parser._get_schema(Query, None) is first
        given_instance = Query()
        assert parser._get_schema(given_instance, None) is given_instance


class Thing(ma.Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    size = ma.fields.Integer(load_default=3)


def test_a_patch_schema_takes_any_subset_and_defaults_nothing():
    from gerai.api import Patch

    class ThingPatch(Patch, Thing):
        class Meta:
            exclude = ("code",)

    assert ThingPatch().load({}) == {}
    assert ThingPatch().load({"size": 5}) == {"size": 5}
    assert Thing().load({"code": "a", "name": "b"}) == {"code": "a", "name": "b", "size": 3}  # the base unchanged
    with pytest.raises(ma.ValidationError):
        ThingPatch().load({"code": "x"})  # excluded
