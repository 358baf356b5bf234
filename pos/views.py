"""The till page: one server-rendered shell, then plain ES modules speaking the JSON API.

The page signs in with the session cookie of the manager pages (the `/login` form); its API
writes send the session's CSRF token in the `X-CSRF-Token` header. No token is kept in the
browser's storage, so a stolen `localStorage` (which holds the cart) holds no credential.
"""
from __future__ import annotations

import functools
import logging
from pathlib import Path

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import get_locale, gettext

from gerai.auth import CASHIER
from gerai.extensions import settings
from gerai.guard import csrf_token, current_user, roles
from inventory.barcodes import DEFAULT_SCALE_PATTERN, ScaleLayout
from inventory.rules import FRACTIONAL_UNITS

bp = Blueprint("till", __name__, template_folder="templates")
log = logging.getLogger(__name__)

#: Rupiah notes a buyer hands over; quick-cash buttons offer the next of each above the amount due.
NOTES = (5000, 10000, 20000, 50000, 100000)
#: LPG 3 kg buyers allowed by the regulation (DESIGN.md, "Regulated goods"), in the API's words.
BUYER_CATEGORIES = ("rumah_tangga", "usaha_mikro", "petani", "nelayan")
QR_MAX_CHARS = 512  # a QRIS payload is ~150-250 characters
_TILL_PO = Path(__file__).parent / "templates" / "till" / "id.po"


@bp.record_once
def _nav(state):
    from gerai.web import add_nav

    add_nav(state.app, "/till", "Till", CASHIER, node="shop")


def scale_layout() -> tuple[str | None, str | None]:
    """(pattern, problem): the scale label layout from GERAI_SCALE_LAYOUT, checked."""
    pattern = settings().extra.get("GERAI_SCALE_LAYOUT", "").strip().upper() or DEFAULT_SCALE_PATTERN
    try:
        ScaleLayout(pattern)
    except ValueError as err:
        return None, str(err)
    return pattern, None


@functools.lru_cache(maxsize=1)
def _till_catalog() -> dict[str, str]:
    """The till's Indonesian strings, used until the app-wide `id` catalog carries them."""
    from babel.messages.pofile import read_po

    with _TILL_PO.open("rb") as fh:
        catalog = read_po(fh, locale="id")
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy and isinstance(m.id, str)}


def till_gettext(msgid: str, **variables: object) -> str:
    """gettext, falling back to the till's own `id.po` when the app catalog lacks a string."""
    text = gettext(msgid)
    locale = get_locale()
    if text == msgid and locale is not None and locale.language == "id":
        text = _till_catalog().get(msgid, msgid)
    return text % variables if variables else text


def page_config() -> dict:
    """What the ES modules need to know, rendered into the page as JSON."""
    user = current_user()
    pattern, problem = scale_layout()
    return {
        "api": "/api/v1",
        "csrf": csrf_token(),
        "user": {"username": user.username, "name": user.full_name or user.username, "role": user.role},
        "shop": settings().shop_name,
        "scale": {"pattern": pattern, "problem": problem},
        "fractional_units": list(FRACTIONAL_UNITS),
        "notes": list(NOTES),
        "buyer_categories": list(BUYER_CATEGORIES),
        "printer": settings().printer.strip().lower() not in ("", "none"),
        "qr_url": url_for("till.qr_svg"),
        "login_url": url_for("web.login", next="/till"),
        "logout_url": url_for("web.logout"),
    }


@bp.get("/till")
@roles(*CASHIER)
def till_page():
    """The till: scan, search, pay, print, close the shift."""
    return render_template("till/till.html", config=page_config(), _=till_gettext)


@bp.get("/till/qr.svg")
@roles(*CASHIER)
def qr_svg():
    """Draw a QR code (the sale's dynamic QRIS) as SVG, offline, with the `qrcode` library."""
    import qrcode
    from qrcode.image.svg import SvgPathImage

    data = request.args.get("data", "")
    if not data or len(data) > QR_MAX_CHARS:
        abort(400)
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, image_factory=SvgPathImage)
    code.add_data(data)
    svg = code.make_image().to_string(encoding="unicode")
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=300"})
