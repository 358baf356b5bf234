"""Outlets at the hub: `gerai hub add-outlet` / `rotate-token`, tokens kept only as their hash."""
from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from gerai.app import create_app
from gerai.cli import main
from gerai.config import load_config
from suppliers.hub.models import HubOutlet
from suppliers.hub.outlets import outlet_for_token


@pytest.fixture
def hub_runner(instance):
    settings = load_config({}, instance=str(instance), secret_key="k", role="hub")
    app = create_app(settings)
    yield app.test_cli_runner(), app.extensions["gerai_db"]
    app.extensions["gerai_db"].dispose()


def test_add_outlet_prints_the_token_alone_on_the_last_line_and_keeps_its_hash(hub_runner):
    runner, db = hub_runner
    result = runner.invoke(main, ["hub", "add-outlet", "KDMP-0001", "--name", "Gerai Sukamaju", "--kabupaten",
                                  "Kabupaten Sleman", "--provinsi", "DI Yogyakarta", "--zone", "Z1", "--kecamatan",
                                  "Depok", "--desa", "Caturtunggal", "--cooperative", "KDMP Sukamaju"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("gso_") and len(token) > 40
    with db.read_session() as s:
        outlet = s.scalar(sa.select(HubOutlet).where(HubOutlet.code == "KDMP-0001"))
        assert outlet.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert (outlet.kabupaten, outlet.provinsi, outlet.zone, outlet.kecamatan, outlet.desa, outlet.accepted_through) \
            == ("Kabupaten Sleman", "DI Yogyakarta", "Z1", "Depok", "Caturtunggal", 0)
        assert outlet_for_token(s, token).code == "KDMP-0001"
        assert outlet_for_token(s, token + "x") is None


def test_a_duplicate_code_is_refused_clearly(hub_runner):
    runner, _db = hub_runner
    assert runner.invoke(main, ["hub", "add-outlet", "A1", "--name", "A"]).exit_code == 0
    result = runner.invoke(main, ["hub", "add-outlet", "A1", "--name", "B"])
    assert result.exit_code != 0
    assert "already registered" in result.output


def test_rotate_token_replaces_the_old_one(hub_runner):
    runner, db = hub_runner
    old = runner.invoke(main, ["hub", "add-outlet", "A1", "--name", "A"]).output.strip().splitlines()[-1]
    result = runner.invoke(main, ["hub", "rotate-token", "A1"])
    assert result.exit_code == 0, result.output
    new = result.output.strip().splitlines()[-1]
    with db.read_session() as s:
        assert outlet_for_token(s, old) is None
        assert outlet_for_token(s, new).code == "A1"
    assert runner.invoke(main, ["hub", "rotate-token", "NOPE"]).exit_code != 0


def test_a_shop_refuses_hub_commands(runner):
    result = runner.invoke(main, ["hub", "add-outlet", "A1", "--name", "A"])
    assert result.exit_code != 0
    assert "GERAI_ROLE=hub" in result.output
