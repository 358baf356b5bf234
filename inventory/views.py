"""Manager pages for the catalog and stock (server-rendered, Bahasa Indonesia by default)."""
from __future__ import annotations

from flask import Blueprint, render_template

from gerai.auth import MANAGER
from gerai.extensions import db_session
from gerai.guard import roles
from inventory import queries

bp = Blueprint("inventory", __name__, template_folder="templates")


@bp.record_once
def _nav(state):
    from gerai.web import add_nav

    add_nav(state.app, "/stock", "Stock", MANAGER)


@bp.get("/stock")
@roles(*MANAGER)
def stock_page():
    return render_template("inventory/stock.html", rows=queries.stock_rows(db_session()))
