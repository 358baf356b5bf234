"""Configuration from the environment (and an optional `.env` in the instance folder).

Read only when `load_config()` is called: nothing happens at import time.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROLES_OF_NODE = ("shop", "hub")


class ConfigError(ValueError):
    """A setting that cannot work; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    role: str = "shop"
    secret_key: str = ""
    printer: str = "none"
    paper_mm: int = 58
    hub_url: str = ""
    hub_token: str = ""
    outlet: str = ""
    timezone: str = "Asia/Jakarta"
    shop_name: str = "Gerai Koperasi Merah Putih"
    shop_address: str = ""
    secure_cookies: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines; `#` comments and surrounding quotes are allowed."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip().removeprefix("export ").strip()] = value
    return values


def _secret_key(instance: Path, given: str) -> str:
    """Use GERAI_SECRET_KEY, else a key generated once and kept in the instance folder."""
    if given:
        return given
    key_file = instance / "secret_key"
    if key_file.is_file():
        return key_file.read_text(encoding="ascii").strip()
    key = secrets.token_hex(32)
    instance.mkdir(parents=True, exist_ok=True)
    key_file.write_text(key, encoding="ascii")
    key_file.chmod(0o600)
    return key


def _given(values) -> dict[str, str]:
    """The settings that hold something: an empty value is the same as an absent one."""
    return {key: value for key, value in values.items() if value is not None and str(value).strip() != ""}


def _flag(name: str, value: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1 or 0, not {value!r}")


def load_config(environ: dict[str, str] | None = None, **overrides: str) -> Settings:
    """Build Settings from `environ` (default os.environ) plus `.env`, then `overrides`.

    A variable set but empty (`GERAI_ROLE=` in a service file or a shell) counts as not set, at
    every layer: the next layer or the default applies, never the empty text."""
    env = _given(os.environ if environ is None else environ)
    instance = Path(overrides.pop("instance", None) or env.get("GERAI_INSTANCE") or "instance").resolve()
    env = {**_given(read_dotenv(instance / ".env")), **env}
    overrides = _given(overrides)
    get = lambda name, default="": str(overrides.get(name.lower().removeprefix("gerai_"), env.get(name, default)))  # noqa: E731

    instance.mkdir(parents=True, exist_ok=True)
    role = get("GERAI_ROLE", "shop")
    if role not in ROLES_OF_NODE:
        raise ConfigError(f"GERAI_ROLE must be 'shop' or 'hub', not {role!r}")
    paper = get("GERAI_PAPER", "58")
    if paper not in ("58", "80"):
        raise ConfigError(f"GERAI_PAPER must be 58 or 80 (mm), not {paper!r}")
    timezone = get("GERAI_TIMEZONE", "Asia/Jakarta")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"GERAI_TIMEZONE {timezone!r} is not a known time zone (e.g. Asia/Makassar)") from None
    url = get("GERAI_DATABASE_URL") or f"sqlite:///{instance / 'gerai.db'}"
    return Settings(
        instance_path=instance,
        database_url=url,
        role=role,
        secret_key=_secret_key(instance, get("GERAI_SECRET_KEY")),
        printer=get("GERAI_PRINTER", "none"),
        paper_mm=int(paper),
        hub_url=get("GERAI_HUB_URL").rstrip("/"),
        hub_token=get("GERAI_HUB_TOKEN"),
        outlet=get("GERAI_OUTLET"),
        timezone=timezone,
        shop_name=get("GERAI_SHOP_NAME", "Gerai Koperasi Merah Putih"),
        shop_address=get("GERAI_SHOP_ADDRESS"),
        secure_cookies=_flag("GERAI_SECURE_COOKIES", get("GERAI_SECURE_COOKIES", "0")),
        extra={k: v for k, v in env.items() if k.startswith("GERAI_")},
    )
