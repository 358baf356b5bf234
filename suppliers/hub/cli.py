"""`gerai hub ...`: commands only a hub (GERAI_ROLE=hub) runs."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from gerai.errors import DomainError
from gerai.extensions import database, settings


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _require_hub() -> None:
    if settings().role != "hub":
        _fail("this is a shop (GERAI_ROLE=shop); outlets are registered on the hub: run it with GERAI_ROLE=hub")


@click.group("hub")
def hub_group() -> None:
    """Hub administration: outlets and their sync tokens."""


@hub_group.command("add-outlet")
@click.argument("code")
@click.option("--name", required=True, help="The shop's name.")
@click.option("--cooperative", default="", help="The cooperative that runs it.")
@click.option("--desa", default="", help="Desa or kelurahan.")
@click.option("--kecamatan", default="")
@click.option("--kabupaten", default="", help="Kabupaten or kota.")
@click.option("--provinsi", default="")
@click.option("--zone", default="", help="Price zone for HET (empty: none).")
@with_appcontext
def add_outlet_command(code: str, name: str, cooperative: str, desa: str, kecamatan: str, kabupaten: str,
                       provinsi: str, zone: str) -> None:
    """Register a shop; prints its sync token alone on the last line (shown once, stored hashed)."""
    from suppliers.hub.outlets import add_outlet

    _require_hub()
    session = database().session()
    try:
        outlet, token = add_outlet(session, code, name, cooperative=cooperative, desa=desa, kecamatan=kecamatan,
                                   kabupaten=kabupaten, provinsi=provinsi, zone=zone or None)
    except DomainError as err:
        _fail(err.message)
    finally:
        session.close()
    click.echo(f"Outlet {outlet.code} ({outlet.name}) registered. Give the shop GERAI_OUTLET={outlet.code} and "
               "GERAI_HUB_TOKEN= the token below (it is not shown again):")
    click.echo(token)


@hub_group.command("rotate-token")
@click.argument("code")
@with_appcontext
def rotate_token_command(code: str) -> None:
    """A new sync token for an outlet (the old one stops working); printed alone on the last line."""
    from suppliers.hub.outlets import rotate_token

    _require_hub()
    session = database().session()
    try:
        token = rotate_token(session, code)
    except DomainError as err:
        _fail(err.message)
    finally:
        session.close()
    click.echo(f"New token for outlet {code} (the old one no longer works):")
    click.echo(token)
