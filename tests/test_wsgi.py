"""wsgi.py builds the app from the environment, as a WSGI server imports it."""
import importlib
import sys

from gerai import migrate


def test_wsgi_module_serves_the_shop_from_its_instance(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    monkeypatch.setenv("GERAI_INSTANCE", str(instance))
    monkeypatch.delenv("GERAI_DATABASE_URL", raising=False)
    monkeypatch.setenv("GERAI_ROLE", "shop")
    instance.mkdir()
    migrate.upgrade(f"sqlite:///{instance / 'gerai.db'}")
    sys.modules.pop("wsgi", None)
    wsgi = importlib.import_module("wsgi")
    try:
        client = wsgi.app.test_client()
        assert client.get("/login").status_code == 200
        assert client.get("/api/v1/stock").status_code == 401
        assert wsgi.app.instance_path == str(instance)
    finally:
        wsgi.app.extensions["gerai_db"].dispose()
        sys.modules.pop("wsgi", None)
