"""Hub fixtures: the app as a hub (GERAI_ROLE=hub) on the shop's SQLite copy or on PostgreSQL."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from gerai.app import create_app  # noqa: E402
from gerai.config import load_config  # noqa: E402


def _hub(instance, url: str | None):
    overrides = {"database_url": url} if url else {}
    settings = load_config({}, instance=str(instance), secret_key="hub-secret", role="hub", timezone="Asia/Jakarta",
                           **overrides)
    app = create_app(settings)
    app.config.update(TESTING=True)
    return app


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def hub(request, instance):
    """A hub app on SQLite or on a clean PostgreSQL database (both with the test users)."""
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("pg_db").url
    app = _hub(instance, url)
    yield app
    app.extensions["gerai_db"].dispose()


@pytest.fixture
def pg_hub(instance, pg_db):
    app = _hub(instance, pg_db.url)
    yield app
    app.extensions["gerai_db"].dispose()
