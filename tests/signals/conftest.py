import pytest


@pytest.fixture
def app_session(app):
    """A session on the app's own database (its listeners installed), to build histories for API tests."""
    s = app.extensions["gerai_db"].session()
    yield s
    s.close()
