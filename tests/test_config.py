"""Configuration from GERAI_* variables and the instance folder's `.env` (API.md, last section)."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from gerai.cli import main
from gerai.config import ConfigError, load_config, read_dotenv


def test_defaults_make_a_shop_on_sqlite_in_the_instance_folder(tmp_path):
    s = load_config({}, instance=str(tmp_path / "inst"))
    assert s.instance_path == (tmp_path / "inst").resolve() and s.instance_path.is_dir()
    assert s.database_url == f"sqlite:///{tmp_path / 'inst' / 'gerai.db'}"
    assert (s.role, s.paper_mm, s.timezone, s.printer, s.is_sqlite) == ("shop", 58, "Asia/Jakarta", "none", True)
    assert str(s.tz) == "Asia/Jakarta"


def test_every_documented_variable_is_read(tmp_path):
    env = {"GERAI_INSTANCE": str(tmp_path / "hub"), "GERAI_DATABASE_URL": "postgresql+psycopg://u@db/hub",
           "GERAI_ROLE": "hub", "GERAI_SECRET_KEY": "s3cret", "GERAI_PRINTER": "network:10.0.0.9:9100",
           "GERAI_PAPER": "80", "GERAI_HUB_URL": "https://hub.example/", "GERAI_HUB_TOKEN": "tok",
           "GERAI_OUTLET": "KDMP-3404", "GERAI_TIMEZONE": "Asia/Jayapura"}
    s = load_config(env)
    assert s.instance_path == (tmp_path / "hub").resolve()
    assert (s.database_url, s.role, s.secret_key, s.printer, s.paper_mm) == (
        "postgresql+psycopg://u@db/hub", "hub", "s3cret", "network:10.0.0.9:9100", 80)
    assert (s.hub_url, s.hub_token, s.outlet, s.timezone, s.is_sqlite) == (
        "https://hub.example", "tok", "KDMP-3404", "Asia/Jayapura", False)
    assert not (tmp_path / "hub" / "secret_key").exists()  # given, so none is generated


def test_the_instance_dotenv_is_read_and_the_environment_wins(tmp_path):
    inst = tmp_path / "inst"
    inst.mkdir()
    (inst / ".env").write_text(
        "# shop settings\n"
        "GERAI_TIMEZONE=Asia/Makassar\n"
        "export GERAI_PAPER='80'\n"
        'GERAI_OUTLET = "KDMP 12"\n'
        "GERAI_ROLE=hub\n"
        "not a setting line\n\n", encoding="utf-8")
    s = load_config({"GERAI_INSTANCE": str(inst), "GERAI_ROLE": "shop"})
    assert (s.timezone, s.paper_mm, s.outlet, s.role) == ("Asia/Makassar", 80, "KDMP 12", "shop")
    assert load_config({"GERAI_INSTANCE": str(inst)}, timezone="Asia/Jakarta").timezone == "Asia/Jakarta"


def test_read_dotenv_ignores_a_missing_file(tmp_path):
    assert read_dotenv(tmp_path / "nothing" / ".env") == {}


def test_a_generated_secret_key_is_kept_private_and_reused(tmp_path):
    first = load_config({}, instance=str(tmp_path))
    key_file = tmp_path / "secret_key"
    assert len(first.secret_key) == 64 and key_file.read_text() == first.secret_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_config({}, instance=str(tmp_path)).secret_key == first.secret_key
    assert load_config({}, instance=str(tmp_path / "other")).secret_key != first.secret_key


@pytest.mark.parametrize(("name", "value"), [
    ("GERAI_ROLE", "toko"), ("GERAI_ROLE", "Hub"), ("GERAI_PAPER", "57"), ("GERAI_PAPER", "80mm"),
    ("GERAI_TIMEZONE", "WIB"), ("GERAI_TIMEZONE", "Asia/Jakarta/Barat"), ("GERAI_TIMEZONE", "../../etc/passwd"),
])  # an empty one is no error: it means the default (test_a_variable_set_but_empty_means_its_default)
def test_a_bad_setting_is_a_clear_error_naming_the_variable(tmp_path, name, value):
    with pytest.raises(ConfigError) as err:
        load_config({name: value}, instance=str(tmp_path))
    assert name in str(err.value) and repr(value) in str(err.value)


def test_a_bad_setting_in_dotenv_is_reported_too(tmp_path):
    (tmp_path / ".env").write_text("GERAI_PAPER=72\n")
    with pytest.raises(ConfigError, match="GERAI_PAPER"):
        load_config({}, instance=str(tmp_path))


def only_gerai_env(**given: str) -> dict[str, str | None]:
    """These GERAI_* variables and no other (a GERAI_DATABASE_URL in the shell must not be touched)."""
    return {**{k: None for k in os.environ if k.startswith("GERAI_")}, **given}


@pytest.mark.parametrize(("name", "value", "message"), [
    ("GERAI_ROLE", "toko", "GERAI_ROLE must be 'shop' or 'hub'"),
    ("GERAI_TIMEZONE", "Jakarta", "GERAI_TIMEZONE 'Jakarta' is not a known time zone"),
    ("GERAI_PAPER", "110", "GERAI_PAPER must be 58 or 80"),
])
def test_the_command_line_reports_a_bad_setting_without_a_traceback(tmp_path, name, value, message):
    result = CliRunner().invoke(main, ["init"], env=only_gerai_env(GERAI_INSTANCE=str(tmp_path), **{name: value}))
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (Path(tmp_path) / "gerai.db").exists()


def test_the_command_line_uses_the_environment(tmp_path):
    result = CliRunner().invoke(main, ["init"], env=only_gerai_env(GERAI_INSTANCE=str(tmp_path / "shop")))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "shop" / "gerai.db").is_file()


def test_a_variable_set_but_empty_means_its_default(tmp_path):
    empty = {name: "" for name in ("GERAI_ROLE", "GERAI_PAPER", "GERAI_TIMEZONE", "GERAI_PRINTER", "GERAI_SHOP_NAME",
                                   "GERAI_DATABASE_URL", "GERAI_SECRET_KEY", "GERAI_PRINTER_PROFILE")}
    s = load_config({**empty, "GERAI_INSTANCE": str(tmp_path / "inst")})
    assert (s.role, s.paper_mm, s.timezone, s.printer, s.shop_name) == (
        "shop", 58, "Asia/Jakarta", "none", "Gerai Koperasi Merah Putih")
    assert s.database_url == f"sqlite:///{tmp_path / 'inst' / 'gerai.db'}" and len(s.secret_key) == 64
    assert "GERAI_PRINTER_PROFILE" not in s.extra
    # an empty variable does not hide the instance's .env either
    (tmp_path / "inst" / ".env").write_text("GERAI_ROLE=hub\nGERAI_PAPER=\n", encoding="utf-8")
    s = load_config({"GERAI_INSTANCE": str(tmp_path / "inst"), "GERAI_ROLE": " "})
    assert (s.role, s.paper_mm) == ("hub", 58)
