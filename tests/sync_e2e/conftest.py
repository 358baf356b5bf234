"""Fixtures of the shop <-> hub end-to-end tests (helpers in e2e.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def hub(pg_server_url, tmp_path):
    """A hub on a fresh PostgreSQL database, not yet serving (`hub.start()`); dropped afterwards."""
    from e2e import HubServer  # not at import: e2e imports the root conftest, this file is `conftest` then

    server = HubServer(pg_server_url, tmp_path / "hub")
    try:
        yield server
    finally:
        server.close()
