"""Every text a person reads has an Indonesian translation, the committed .mo files match their
.po sources, and people get Bahasa Indonesia by default and English when they ask for it."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from gerai.i18n_extract import domain_messages

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "gerai" / "translations"
LANGUAGES = ("id", "en")


def read_catalog(lang: str, kind: str = "po"):
    path = TRANSLATIONS / lang / "LC_MESSAGES" / f"messages.{kind}"
    with path.open("rb") as fh:
        return read_po(fh, locale=lang) if kind == "po" else read_mo(fh)


@pytest.fixture(scope="module")
def extracted() -> dict:
    """msgid -> first place it was found, by the same extraction `pybabel extract -F babel.cfg` runs."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: dict = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map):
        found.setdefault(message, f"{filename}:{lineno}")
    return found


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(strings) and all(s and s.strip() for s in strings) and not message.fuzzy


def test_every_extracted_message_has_an_indonesian_translation(extracted):
    catalog = read_catalog("id")
    missing = [f"{where}: {msgid!r}" for msgid, where in extracted.items()
               if catalog.get(msgid) is None or not _translated(catalog.get(msgid))]
    assert not missing, ("untranslated (run the commands at the top of babel.cfg and translate):\n"
                         + "\n".join(missing))


def test_extraction_reaches_templates_domain_errors_nav_labels_and_code_words(extracted):
    expected = {
        "Sign in",  # a template
        "No product with SKU %(sku)s.",  # a DomainError subclass's template
        "The reorder maximum cannot be below the minimum.",  # Invalid("...") in a service
        "Not enough stock of %(name)s: %(on_hand)s %(unit)s on hand, %(wanted)s wanted.",
        "Receive goods",  # an add_nav label
        "Sign in first: send a valid bearer token.",  # gerai/api.py HTTP_MESSAGES
        "cashier", "manager", "admin", "ok", "low", "out", "slow", "overstock", "dead",  # roles and statuses
        "write_off", "sembako", "damaged",  # movement kinds, categories, write-off reasons
        ("%(num)s product found", "%(num)s products found"),  # ngettext in a template
    }
    assert expected <= set(extracted)


def test_indonesian_has_one_plural_form_and_placeholders_match():
    catalog = read_catalog("id")
    assert catalog.plural_forms == "nplurals=1; plural=0;"
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_committed_mo_matches_po(lang):
    po, mo = read_catalog(lang, "po"), read_catalog(lang, "mo")

    def plain(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    def table(catalog):  # what a reader sees: identity entries are the same as none
        return {plain(m.id): plain(m.string) for m in catalog
                if m.id and _translated(m) and plain(m.string) != plain(m.id)}

    assert table(mo) == table(po), "run: pybabel compile -d gerai/translations"


def test_extractor_finds_messages_translated_at_the_edge():
    source = '''
class Refused(Conflict):
    reason = "refused"
    template = "Refused: %(why)s."

def service(x):
    if x:
        raise Invalid("Bad %(x)s.", field="x", x=x)
    raise errors.NotFound("Gone.")
    raise ValueError("not for people")
    raise Conflict(f"dynamic {x}")
    add_nav(app, "/stock", "Stock", MANAGER)
    label = "not a message"

ROLES = ("cashier", "manager")
MESSAGES = {400: "Malformed."}
OTHER = ("ignored",)
'''
    found = [msg for _, msg in domain_messages(ast.parse(source), frozenset({"ROLES", "MESSAGES"}))]
    assert found == ["Refused: %(why)s.", "Bad %(x)s.", "Gone.", "Stock", "cashier", "manager", "Malformed."]


# --- the language people get -----------------------------------------------------------------

def test_front_page_is_indonesian_by_default_and_english_after_the_switch(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="id">' in html and ">Masuk<" in html and "Sign in" not in html
    res = client.get("/lang/en")
    assert res.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and ">Sign in<" in html and ">Masuk<" not in html
    client.get("/lang/id")
    assert ">Masuk<" in client.get("/login").get_data(as_text=True)


def test_api_error_messages_are_indonesian_by_default_and_english_on_request(api):
    res = api("manager").get("/products/NOPE")
    assert res.status_code == 404
    assert res.get_json()["message"] == "Tidak ada barang dengan SKU NOPE."
    res = api("manager").get("/products/NOPE", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert res.get_json()["message"] == "No product with SKU NOPE."
    res = api(None).get("/stock")
    assert res.status_code == 401 and res.get_json()["message"] == "Masuk dulu: kirim token bearer yang sah."
    res = api(None).get("/stock", headers={"Accept-Language": "en"})
    assert res.get_json()["message"] == "Sign in first: send a valid bearer token."


def test_a_refusal_with_parameters_is_translated_with_them(api, session):
    import factories as f

    f.product(session, "LPG-3", name="LPG 3 kg", unit="tabung", price=18000)
    session.close()
    body = {"reason": "lost", "lines": [{"sku": "LPG-3", "qty": "2"}]}
    res = api("manager").post("/stock/write-offs", json=body)
    assert res.status_code == 409
    assert res.get_json()["message"] == "Stok LPG 3 kg tidak cukup: tersedia 0 tabung, diminta 2."
    res = api("manager").post("/stock/write-offs", json=body, headers={"Accept-Language": "en"})
    assert res.get_json()["message"] == "Not enough stock of LPG 3 kg: 0 tabung on hand, 2 wanted."
