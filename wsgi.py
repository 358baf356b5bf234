"""The WSGI entry point for `waitress-serve wsgi:app` or any WSGI server (`gerai serve` serves the same app,
with its start-up check, daily backups and sync loop).

Configuration comes from GERAI_* variables and the instance folder's `.env` (README, Configuration).
Building the app here is this module's one job; nothing else in the project does work at import time.
"""
from gerai.app import create_app

app = create_app()
