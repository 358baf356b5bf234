"""Manager pages for signals and restock (placeholder until the dashboard lands)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("restock_pages", __name__, template_folder="templates")
