"""The platform's own pages: the front page, sign-in and sign-out, the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext

from gerai import auth, guard
from gerai.errors import DomainError
from gerai.extensions import db_session, settings
from gerai.models import AppSetting
from gerai.numbers import format_qty, format_rupiah, qty_str

bp = Blueprint("web", __name__)

DEMO_USERS = (("kasir", "kasir123", "cashier"), ("manajer", "manajer123", "manager"), ("admin", "admin123", "admin"))
HOME_BY_ROLE = {"cashier": "/till", "manager": "/stock", "admin": "/stock"}
HUB_HOME_BY_ROLE = {"coordinator": "/hub/queue", "monitor": "/hub/monitor", "admin": "/hub/queue"}


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: never redirect a signed-in user to another host."""
    if not target:
        return None
    if any(ord(c) < 32 or c == "\x7f" for c in target):  # a CR/LF cannot go into a Location header (500)
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def add_nav(app: Flask, href: str, label: str, roles: tuple[str, ...], node: str | None = None) -> None:
    """A link in the top bar for these roles; each domain package adds its own pages. `node`: shown only
    on a `shop` or only on a `hub` (None: on both)."""
    app.extensions.setdefault("gerai_nav", []).append((href, label, roles, node))


def home_for(role: str) -> str:
    """Where a user lands after signing in: on a hub the coordinators' and monitors' pages."""
    if settings().role == "hub":
        return HUB_HOME_BY_ROLE.get(role, "/")
    return HOME_BY_ROLE.get(role, "/stock")


def nav_for(role: str) -> list[tuple[str, str]]:
    node = settings().role
    return [(href, gettext(label)) for href, label, roles, only_on in current_app.extensions.get("gerai_nav", [])
            if role in roles and only_on in (None, node)]


@bp.get("/")
@guard.public
def index():
    demo = db_session().get(AppSetting, "demo_loaded") is not None
    return render_template("index.html", demo_users=DEMO_USERS if demo else (), shop=settings())


@bp.route("/login", methods=["GET", "POST"])
@guard.public
def login():
    error, status = None, 401
    if request.method == "POST" and not guard.csrf_ok():
        error, status = gettext("The form has expired; please try again."), 400
    elif request.method == "POST":
        try:
            user = auth.authenticate(db_session(), request.form.get("username", ""), request.form.get("password", ""),
                                     request.remote_addr or "")
        except DomainError as err:
            error = gettext(err.template, **err.params) if err.params else gettext(err.template)
        else:
            lang = session.get("lang")
            guard.sign_in(user)
            if lang:
                session["lang"] = lang
            return redirect(_safe_next(request.args.get("next")) or home_for(user.role))
    return render_template("login.html", error=error), (status if error else 200)


@bp.post("/logout")
def logout():
    guard.sign_out()
    return redirect(url_for("web.index"))


@bp.get("/lang/<code>")
@guard.public
def switch_language(code: str):
    if code in ("id", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")) or url_for("web.index"))


def install_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["rupiah"] = format_rupiah
    app.jinja_env.filters["qty"] = format_qty
    app.jinja_env.filters["qty_str"] = qty_str  # a quantity in a form's hidden field: `12.500`
    app.jinja_env.globals.update(csrf_token=guard.csrf_token, current_user=guard.current_user, home_for=home_for,
                                 nav_for=nav_for)

    @app.context_processor
    def _shop():
        return {"shop": settings(), "lang": session.get("lang", "id")}
