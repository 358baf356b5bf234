"""Hub apps (GERAI_ROLE=hub) over the seeded hub of hubdata.py: on SQLite (pages) and PostgreSQL (the
queries that matter)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from gerai.app import create_app
from gerai.config import load_config
from gerai.db import Database

import hubdata


@dataclass
class Hub:
    app: object
    db: Database
    ids: dict

    def client(self, username: str | None = None):
        client = self.app.test_client()
        if username:
            hubdata.sign_in(client, self.db, username)
        return client


def _hub(instance, url: str | None) -> Hub:
    settings = load_config({}, instance=str(instance), secret_key="hub-" + uuid.uuid4().hex, timezone="Asia/Jakarta",
                           role="hub", **({"database_url": url} if url else {}))
    app = create_app(settings)
    app.config.update(TESTING=True)
    db = app.extensions["gerai_db"]
    for name, role, supplier, area in (("koord-idfood", "coordinator", "IDFOOD", None),
                                       ("monitor-bantul", "monitor", None, "Kabupaten Bantul"),
                                       ("monitor-diy", "monitor", None, "DI Yogyakarta")):
        hubdata.user(db, name, role, supplier=supplier, area=area)
    return Hub(app, db, hubdata.seed(db))


@pytest.fixture
def hub(instance):
    """A seeded hub on SQLite."""
    made = _hub(instance, None)
    yield made
    made.db.dispose()


@pytest.fixture
def pg_hub(instance, pg_db):
    """A seeded hub on PostgreSQL (a clean database but for the users)."""
    made = _hub(instance, pg_db.url)
    yield made
    made.db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_hub(request):
    return request.getfixturevalue("hub" if request.param == "sqlite" else "pg_hub")
