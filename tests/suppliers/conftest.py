import sys
from pathlib import Path

import pytest

from suppliers import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "signals"))  # signal_helpers


@pytest.fixture
def shop(db):
    """A session on a database with the suppliers listeners installed, as the app factory does."""
    requests.install(db)
    s = db.session()
    yield s
    s.close()


@pytest.fixture
def app_session(app):
    """A session on the app's own database (its listeners installed), to build histories for API tests."""
    s = app.extensions["gerai_db"].session()
    yield s
    s.close()
