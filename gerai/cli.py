"""The `gerai` command (API.md, "Command line and configuration")."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from gerai import auth, backup as backup_mod, migrate
from gerai.config import ConfigError
from gerai.errors import DomainError
from gerai.extensions import database, settings
from gerai.models import ROLES


def _create_app():
    from gerai.app import create_app

    try:
        return create_app()
    except ConfigError as err:
        raise click.ClickException(str(err)) from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, load_dotenv=False,
             help="Gerai POS: the till and stock book of a cooperative shop (or, as a hub, of many).")
def main() -> None:
    pass


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@main.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the database to the newest migration (safe to run twice)."""
    migrate.upgrade(database().url)
    if database().dialect == "postgresql":  # the hub's monthly partitions, months ahead made in time
        from suppliers.hub.partitions import ensure_partitions

        with database().engine.begin() as conn:
            ensure_partitions(conn)
    click.echo(f"Database ready: {database().engine.url.render_as_string(hide_password=True)}")


@main.command("create-user")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--password", required=True)
@click.option("--supplier", default=None, help="A coordinator's supplier code.")
@click.option("--area", default=None, help="A monitor's kabupaten or provinsi.")
@click.option("--full-name", default="")
@with_appcontext
def create_user_command(name: str, role: str, password: str, supplier: str | None, area: str | None,
                        full_name: str) -> None:
    """Add a user with a role."""
    session = database().session()
    try:
        auth.create_user(session, name, role, password, supplier=supplier, area=area, full_name=full_name)
    except DomainError as err:
        _fail(err.message)
    finally:
        session.close()
    click.echo(f"User {name} ({role}) created.")


@main.command("set-password")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def set_password_command(name: str, password: str) -> None:
    """Give a user a new password (their old tokens stop working)."""
    session = database().session()
    try:
        auth.set_password(session, name, password)
    except DomainError as err:
        _fail(err.message)
    finally:
        session.close()
    click.echo(f"Password of {name} changed.")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="Initialise the database and load the demo shop if it is empty.")
@with_appcontext
def serve_command(host: str, port: int, threads: int, demo: bool) -> None:
    """Serve the shop (or hub) with waitress."""
    from waitress import serve

    migrate.upgrade(database().url)
    if demo:
        from gerai.demo.loader import load_demo, shop_is_empty

        if shop_is_empty(database()):
            click.echo("Loading the demo shop...")
            load_demo(database(), settings(), echo=click.echo)
    app = current_app._get_current_object()
    click.echo(f"Gerai POS ({settings().role}) at http://{host}:{port}/  (Ctrl+C stops it)")
    serve(app, host=host, port=port, threads=threads, ident="gerai", clear_untrusted_proxy_headers=True)


@main.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo shop: catalog, suppliers, demo users, opening stock, weeks of sales."""
    from gerai.demo.loader import load_demo, shop_is_empty

    migrate.upgrade(database().url)
    if not shop_is_empty(database()):
        _fail("the database already holds products or users; the demo loads only into an empty shop")
    load_demo(database(), settings(), echo=click.echo)


@main.command("import-products")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_products_command(file: Path) -> None:
    """Add or update products from a CSV file; any bad row and nothing is imported."""
    from inventory.csv_import import HEADER_HELP, import_products_csv

    session = database().session()
    try:
        result = import_products_csv(session, file, progress=click.progressbar)
    finally:
        session.close()
    if result.errors:
        for line, message in result.errors:
            click.echo(f"line {line}: {message}", err=True)
        _fail(f"{len(result.errors)} bad row(s); nothing was imported. {HEADER_HELP}")
    click.echo(f"Imported {result.added} new and {result.updated} updated product(s).")


@main.command("check-ledger")
@with_appcontext
def check_ledger_command() -> None:
    """Exit 0 if every stock level equals the sum of its movements; else list each difference."""
    from inventory.ledger import ledger_differences

    session = database().read_session()
    try:
        diffs = ledger_differences(session)
    finally:
        session.close()
    for sku, level, total in diffs:
        click.echo(f"{sku}: level {level} but movements sum to {total}")
    if diffs:
        _fail(f"{len(diffs)} product(s) where the stock level differs from the ledger")
    click.echo("Ledger OK: every stock level equals the sum of its movements.")


@main.command("print-test")
@with_appcontext
def print_test_command() -> None:
    """Print a self-test page on the printer in GERAI_PRINTER (paper width from GERAI_PAPER)."""
    from gerai.db import utcnow
    from pos.printing import print_for_shop
    from pos.receipts import Shop, columns_for, self_test_rows

    s = settings()
    if s.printer in ("", "none"):
        _fail("no printer is set up: set GERAI_PRINTER (network:HOST:PORT, usb:VENDOR:PRODUCT, serial:DEVICE "
              "or file:PATH)")
    rows = self_test_rows(Shop(s.shop_name, s.shop_address, s.timezone), columns_for(s.paper_mm), s.printer, utcnow())
    result = print_for_shop(s, rows)
    if not result.printed:
        _fail(result.error or "the printer did not print")
    click.echo(f"Test page sent to {s.printer} ({s.paper_mm} mm paper).")


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write a consistent copy of the live database to FILE."""
    try:
        backup_mod.backup(database(), file)
    except backup_mod.BackupError as err:
        _fail(str(err))
    click.echo(f"Backup written to {file}")


@main.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Replace the database with a Gerai backup (the current one is kept beside it first)."""
    try:
        kept = backup_mod.restore(database(), file)
    except backup_mod.BackupError as err:
        _fail(str(err))
    migrate.upgrade(database().url)
    click.echo(f"Restored from {file}; the previous database was kept as {kept}")


@main.command("import-sales")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_sales_command(file: Path) -> None:
    """Load past sales (date,sku,qty,unit_price) as sale movements on their days; any bad row and nothing is imported."""
    from inventory.import_sales import HEADER_HELP, import_sales_csv

    session = database().session()
    try:
        result = import_sales_csv(session, file, progress=click.progressbar)
    finally:
        session.close()
    if result.errors:
        for line, message in result.errors[:100]:
            click.echo(f"line {line}: {message}", err=True)
        if len(result.errors) > 100:
            click.echo(f"... and {len(result.errors) - 100} more", err=True)
        _fail(f"{len(result.errors)} bad row(s); nothing was imported. {HEADER_HELP}")
    span = f" from {result.first} to {result.last}" if result.first else ""
    click.echo(f"Imported {result.rows} row(s): sales of {result.products} product(s) on {result.days} day(s){span}. "
               "Count the stock now (stock opname) to set today's on-hand.")


def _add_hub_commands() -> None:
    from suppliers.hub.cli import hub_group

    main.add_command(hub_group)


_add_hub_commands()
