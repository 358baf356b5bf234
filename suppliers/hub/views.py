"""The hub's pages: the coordinators' request queue, demand, a request with its dispatch form, a shop's
stock; the regional monitors' figures. Registered only on a hub (GERAI_ROLE=hub)."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from gerai.db import utcnow
from gerai.errors import DomainError, NotFound
from gerai.extensions import db_session
from gerai.guard import current_user, roles
from inventory.sales_history import shop_timezone
from suppliers.hub import csv_export, monitoring, outlet_stock, queue
from suppliers.hub.forms import DispatchForm, read_dispatch_form
from suppliers.models import OPEN_STATUSES

bp = Blueprint("hub_pages", __name__, template_folder="../templates")
COORDINATORS = ("coordinator", "admin")
MONITORS = ("monitor", "admin")
VIEWERS = ("coordinator", "monitor", "admin")
HOME = {"coordinator": "/hub/queue", "monitor": "/hub/monitor"}
PERIOD_DAYS = 30  # the monitor's default period: the last 30 days, today included


@bp.record_once
def _nav(state):
    from gerai.web import add_nav

    add_nav(state.app, "/hub/queue", "Request queue", COORDINATORS, node="hub")
    add_nav(state.app, "/hub/demand", "Demand by area", COORDINATORS, node="hub")
    add_nav(state.app, "/hub/monitor", "Regional monitoring", MONITORS, node="hub")


def _supplier_scope() -> str | None:
    """A coordinator's own supplier; an admin sees every supplier unless it picks one."""
    user = current_user()
    if user.role == "coordinator":
        return user.supplier_code or queue.NO_SUPPLIER  # a coordinator without a supplier sees nothing
    return (request.args.get("supplier") or "").strip() or None


def _today(session) -> date:
    return utcnow().astimezone(shop_timezone(session)).date()


def _message(err: DomainError) -> str:
    return gettext(err.template, **err.params) if err.params else gettext(err.template)


@bp.get("/hub/queue")
@roles(*COORDINATORS)
def queue_page():
    session = db_session()
    f = queue.clean_filter(_supplier_scope(), request.args)
    page = queue.queue_page(session, f)
    return render_template("hub/queue.html", f=f, page=page, areas=queue.areas(session),
                           statuses=queue.STATUS_CHOICES, admin=current_user().role == "admin",
                           supplier=request.args.get("supplier", ""))


@bp.get("/hub/queue.csv")
@roles(*COORDINATORS)
def queue_csv():
    session = db_session()
    f = queue.clean_filter(_supplier_scope(), {**request.args, "before": ""})
    return csv_export.response(csv_export.queue_rows(queue.iter_queue(session, f)), "antrean-permintaan.csv")


@bp.get("/hub/demand")
@roles(*COORDINATORS)
def demand_page():
    session = db_session()
    f = queue.clean_filter(_supplier_scope(), request.args)
    return render_template("hub/demand.html", f=f, rows=queue.demand(session, f), areas=queue.areas(session),
                           admin=current_user().role == "admin", supplier=request.args.get("supplier", ""))


@bp.get("/hub/demand.csv")
@roles(*COORDINATORS)
def demand_csv():
    f = queue.clean_filter(_supplier_scope(), request.args)
    return csv_export.response(csv_export.demand_rows(queue.demand(db_session(), f)), "permintaan-per-kabupaten.csv")


def _request_or_404(request_id: str):
    try:
        uuid.UUID(request_id)
    except ValueError:
        abort(404)
    user = current_user()
    found = queue.get_request(db_session(), request_id, user.supplier_code or queue.NO_SUPPLIER
                              if user.role == "coordinator" else None)
    if found is None:
        abort(404)
    return found


def _render_request(found, form: DispatchForm | None = None, status: int = 200):
    req, lines, dispatches = found
    can_dispatch = (current_user().role == "coordinator" and req.status in OPEN_STATUSES  # only the supplier's own
                    and any(queue.outstanding(ln) > 0 for ln in lines))
    errors = {name: _message(err) for name, err in (form.errors if form else {}).items()}
    return render_template("hub/request.html", req=req, lines=lines, dispatches=dispatches,
                           outstanding=queue.outstanding, can_dispatch=can_dispatch, errors=errors,
                           values=request.form if form else {}, today=_today(db_session()).isoformat()), status


@bp.get("/hub/requests/<request_id>")
@roles(*COORDINATORS)
def request_page(request_id: str):
    return _render_request(_request_or_404(request_id))


@bp.post("/hub/requests/<request_id>/dispatch")
@roles(*COORDINATORS)
def dispatch_page(request_id: str):
    """Send all or part of what a request asks for; mistakes come back on the form, nothing written."""
    session = db_session()
    found = _request_or_404(request_id)
    form = read_dispatch_form(request.form, found[1], shop_timezone(session), _today(session))
    if not form.errors:
        from suppliers.hub.requests import dispatch  # hub_dispatches, the lines' dispatched qty, the feed row

        try:
            dispatch(session, request_id, form.lines, form.eta, current_user())
        except DomainError as err:
            session.rollback()
            form.errors["_form"] = err
        else:
            flash(gettext("Dispatch recorded; the shop will see it at its next sync."), "ok")
            return redirect(url_for(".request_page", request_id=request_id))
    return _render_request(_request_or_404(request_id), form, 422)


@bp.get("/hub/outlets/<code>")
@roles(*VIEWERS)
def outlet_page(code: str):
    session = db_session()
    try:
        outlet = outlet_stock.get_outlet(session, code, outlet_stock.Viewer.of(current_user()))
    except NotFound:
        abort(404)
    now = utcnow()
    items = outlet_stock.stock(session, outlet.id, now)
    return render_template("hub/outlet.html", outlet=outlet, items=items, idle=outlet_stock.not_selling(items),
                           days=outlet_stock.NOT_SELLING_DAYS)


def _period(session) -> tuple[date, date]:
    """The period the figures cover: `from`/`to` (YYYY-MM-DD), by default the last 30 days."""
    today = _today(session)
    try:
        last = date.fromisoformat(request.args.get("to") or today.isoformat())
        first = date.fromisoformat(request.args.get("from") or (last - timedelta(days=PERIOD_DAYS - 1)).isoformat())
    except ValueError:
        flash(gettext("Give the dates as YYYY-MM-DD; the last 30 days are shown."), "error")
        return today - timedelta(days=PERIOD_DAYS - 1), today
    return (first, last) if first <= last else (last, first)


def _monitor_area() -> str | None:
    user = current_user()
    if user.role == "admin":
        return (request.args.get("area") or "").strip() or None
    return user.area or ""  # a monitor without an area sees nothing


@bp.get("/hub/monitor")
@roles(*MONITORS)
def monitor_page():
    session = db_session()
    first, last = _period(session)
    now, today, area = utcnow(), _today(session), _monitor_area()
    rows = monitoring.per_kecamatan(session, area, now, today, first, last)
    return render_template("hub/monitor.html", rows=rows, total=monitoring.totals(rows), first=first, last=last,
                           stalled=monitoring.stalled(session, area, now, today), today=today, now=now,
                           area=area or "", admin=current_user().role == "admin", m=monitoring,
                           csv_args={"from": first.isoformat(), "to": last.isoformat(),
                                     **({"area": area} if area and current_user().role == "admin" else {})})


@bp.get("/hub/monitor.csv")
@roles(*MONITORS)
def monitor_csv():
    session = db_session()
    first, last = _period(session)
    rows = monitoring.per_kecamatan(session, _monitor_area(), utcnow(), _today(session), first, last)
    return csv_export.response(csv_export.monitor_rows(rows, first, last), f"gerai-per-kecamatan-{first}-{last}.csv")
