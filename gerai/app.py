"""The app factory: one codebase, a `shop` or a `hub` by configuration."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from flask import Flask, abort, request, session
from flask_babel import Babel

from gerai.config import Settings, load_config
from gerai.db import Database

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("id", "en")


def select_locale() -> str:
    """Indonesian unless this browser chose English (`?lang=en`) or an API client asks for it."""
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(LANGUAGES, default="id") or "id"
    return "id"


_JSON_NUL = re.compile(rb"\\u0000", re.IGNORECASE)


def refuse_nul_characters() -> None:
    """PostgreSQL text cannot hold U+0000 (psycopg raised DataError, a 500): refuse it at the door, on every
    engine alike. A JSON body is checked for the escape in its raw bytes (no second parse of the body)."""
    texts = [request.path, *request.args.keys(), *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        texts += [*request.form.keys(), *request.form.values()]
    if any("\x00" in t for t in texts) or (request.is_json and _JSON_NUL.search(request.get_data(cache=True))):
        abort(400, description="Text may not contain NUL characters.")


def _is_hub(app: Flask) -> bool:
    return app.extensions["gerai_settings"].role == "hub"


def _by_role(app: Flask, shop_blueprints: tuple) -> tuple:
    """On a hub, the restock requests API reads the hub's tables (requests of many shops) instead."""
    if not _is_hub(app):
        return shop_blueprints
    from suppliers.hub import requests_api

    return (*(blp for blp in shop_blueprints if blp.name != "restock_requests"), *requests_api.BLUEPRINTS)


def _hub_only(app: Flask) -> tuple:
    """Sync endpoints exist only on a hub (a shop answers 404)."""
    if not _is_hub(app):
        return ()
    from suppliers.hub import sync_api

    return sync_api.BLUEPRINTS


def _register_blueprints(app: Flask) -> None:
    """Every blueprint, from one explicit list."""
    from gerai import audit_views, auth_api, web
    from gerai.api import make_api
    from inventory import api as inventory_api, signals_api, views as inventory_views
    from pos import api as pos_api, office_api as pos_office_api, views as till_views
    from suppliers import api as suppliers_api, views as suppliers_views

    api = make_api(app)
    for blp in (auth_api.blp, audit_views.blp, *inventory_api.BLUEPRINTS, signals_api.blp,
                *_by_role(app, suppliers_api.BLUEPRINTS), *pos_api.BLUEPRINTS, *pos_office_api.BLUEPRINTS, *_hub_only(app)):
        api.register_blueprint(blp)
    app.register_blueprint(web.bp)
    app.register_blueprint(inventory_views.bp)
    app.register_blueprint(suppliers_views.bp)
    app.register_blueprint(till_views.bp)
    app.register_blueprint(audit_views.bp)
    if app.extensions["gerai_settings"].role == "hub":
        from suppliers.hub import views as hub_views

        app.register_blueprint(hub_views.bp)


def create_app(settings: Settings | None = None, **overrides: str) -> Flask:
    settings = settings or load_config(**overrides)
    app = Flask("gerai", root_path=str(ROOT / "gerai"), static_folder=str(ROOT / "static"),
                instance_path=str(settings.instance_path), instance_relative_config=True)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="id",
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "gerai" / "translations"),
    )
    # Fields in the schemas' order, unsorted (Flask 3 ignores the old JSON_SORT_KEYS setting): sorting the
    # keys of a 2,000-row stock list cost a third of encoding it.
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["gerai_settings"] = settings
    app.extensions["gerai_db"] = Database(settings.database_url, timezone=settings.timezone)
    Babel(app, locale_selector=select_locale)
    _register_blueprints(app)

    from gerai import guard, integrity, security, web
    from gerai.extensions import close_db_session

    app.before_request(refuse_nul_characters)
    app.before_request(guard.load_user)
    integrity.install(app)  # after the guard: a damaged database refuses signed-in writes
    app.teardown_appcontext(close_db_session)
    security.install(app, secure_cookies=settings.secure_cookies, secrets=(settings.secret_key, settings.hub_token))
    web.install_template_helpers(app)
    return app
