"""Translations and language choice.

The catalogues must cover every message the source holds today (the template is extracted afresh from
the source with the team's own script), compile, keep their placeholders, and the site must speak
Traditional Chinese to Hong Kong, Macao and Taiwan readers, Simplified Chinese to mainland and
Singapore readers, and keep a choice once it is made.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from flask_babel import get_domain

from matchmaker import create_app
from tests.forms import open_page, submit

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT / "matchmaker" / "translations"
UPDATE_SCRIPT = CATALOGUES / "update.sh"
CHINESE = ("zh_Hant_HK", "zh_Hans_CN")
_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")
_POSITIONAL = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]")
_HTML_LANG = re.compile(r'<html lang="([^"]+)"')

# The same UI words differ between the two scripts and the two regions' usage.
TRADITIONAL = {"nav": "技術需求", "skip": "跳至主要內容"}
SIMPLIFIED = {"nav": "技术需求", "skip": "跳到主要内容"}
ENGLISH = {"nav": "Technical needs", "skip": "Skip to content"}


def _read(locale: str):
    with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """The message template extracted now from the source, exactly as update.sh extracts it."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(["/bin/sh", str(UPDATE_SCRIPT), "extract", str(pot)],  # noqa: S603
                   check=True, env={"PYBABEL": str(pybabel), "PATH": "/usr/bin:/bin"})
    with open(pot, "rb") as f:
        return read_po(f)


@pytest.fixture(scope="session", autouse=True)
def compiled():
    """Build missing or stale .mo files (they are git-ignored), then drop what Flask-Babel cached.

    Each file is written aside and renamed into place: another xdist worker may be reading it.
    """
    for locale in CHINESE:
        po = CATALOGUES / locale / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        partial = mo.with_name(f"messages.{os.getpid()}.mo.tmp")
        with open(partial, "wb") as f:
            write_mo(f, _read(locale))
        os.replace(partial, mo)
    with create_app("testing").app_context():
        get_domain().cache.clear()  # one cache per process, keyed by locale only


def _is_translated(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return not message.fuzzy and all(strings)


@pytest.mark.parametrize("locale", CHINESE)
def test_every_message_in_the_source_is_translated(template, locale):
    catalogue = _read(locale)
    # A message with a context (pgettext) is a separate entry: look it up with its context.
    missing = [message.id for message in template if message.id
               and not (catalogue.get(message.id, message.context)
                        and _is_translated(catalogue.get(message.id, message.context)))]
    unusable = [msgid for msgid in missing if isinstance(msgid, str) and _POSITIONAL.search(msgid)]
    hint = (f" {unusable} read as positional Python formats (Babel sees e.g. '% o' in '% of'): every "
            "translation of them fails `pybabel compile`, so reword the source, e.g. 'Share (%)'."
            if unusable else "")
    assert not missing, (f"{len(missing)} messages lack a finished {locale} translation; run "
                         f"matchmaker/translations/update.sh and translate them: {missing[:10]}.{hint}")


@pytest.mark.parametrize("locale", CHINESE)
def test_catalogue_compiles_and_keeps_placeholders(locale):
    catalogue = _read(locale)
    assert catalogue.num_plurals == 1  # Chinese has one form: a second msgstr would never be shown
    problems = [(message.id, errors) for message, errors in catalogue.check()]
    for message in catalogue:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(_PLACEHOLDER.findall(ids[-1]))
        problems += [(message.id, text) for text in strings if set(_PLACEHOLDER.findall(text)) != wanted]
    assert not problems
    buffer = BytesIO()
    write_mo(buffer, catalogue)
    assert buffer.getvalue()


def test_plural_message_is_formatted_for_chinese():
    translations = Translations.load(str(CATALOGUES), ["zh_Hant_HK"])
    english = Translations.load(str(CATALOGUES), ["en"])
    for count in (1, 2, 25):
        text = translations.ngettext("%(num)d posting", "%(num)d postings", count) % {"num": count}
        assert str(count) in text and "posting" not in text
    assert english.ngettext("%(num)d posting", "%(num)d postings", 2) % {"num": 2} == "2 postings"


def _page(response) -> tuple[str, str]:
    html = response.get_data(as_text=True)
    return _HTML_LANG.search(html).group(1), html


def _assert_speaks(response, html_lang: str) -> None:
    lang, html = _page(response)
    assert lang == html_lang
    expected, other = {"zh-Hant-HK": (TRADITIONAL, SIMPLIFIED), "zh-Hans-CN": (SIMPLIFIED, TRADITIONAL),
                       "en": (ENGLISH, TRADITIONAL)}[html_lang]
    for key in expected:
        assert expected[key] in html
        assert other[key] not in html


@pytest.mark.parametrize(("query", "html_lang"), [
    ("zh-HK", "zh-Hant-HK"), ("zh_Hant_HK", "zh-Hant-HK"), ("zh-CN", "zh-Hans-CN"),
    ("zh_Hans_CN", "zh-Hans-CN"), ("en", "en"),
])
def test_lang_query_parameter_chooses_the_script(client, query, html_lang):
    _assert_speaks(client.get(f"/?lang={query}"), html_lang)


@pytest.mark.parametrize(("header", "html_lang"), [
    ("zh-HK", "zh-Hant-HK"), ("zh-MO", "zh-Hant-HK"), ("zh-TW", "zh-Hant-HK"), ("zh-Hant", "zh-Hant-HK"),
    ("zh-CN", "zh-Hans-CN"), ("zh-SG", "zh-Hans-CN"), ("zh", "zh-Hans-CN"), ("zh-Hans", "zh-Hans-CN"),
    ("en-GB", "en"), ("en-GB,en;q=0.9,zh-HK;q=0.8", "en"), ("fr-FR,zh-MO;q=0.5", "zh-Hant-HK"),
    ("fr-FR", "en"),
])
def test_accept_language_is_mapped_explicitly(client, header, html_lang):
    _assert_speaks(client.get("/", headers={"Accept-Language": header}), html_lang)


def test_query_choice_is_kept_for_the_rest_of_the_visit(client):
    client.get("/?lang=zh-HK")
    _assert_speaks(client.get("/needs/", headers={"Accept-Language": "en-GB"}), "zh-Hant-HK")


def test_switcher_keeps_the_choice_for_later_pages(client):
    response = open_page(client, "/results/?q=battery").form(action="/language").submit("简体中文")
    assert response.status_code == 302 and response.headers["Location"].endswith("/results/?q=battery")
    _assert_speaks(client.get("/needs/", headers={"Accept-Language": "zh-HK"}), "zh-Hans-CN")
    open_page(client, "/needs/").form(action="/language").submit("English")
    _assert_speaks(client.get("/", headers={"Accept-Language": "zh-HK"}), "en")


def test_switcher_refuses_a_post_without_csrf_token(bare_client):
    response = bare_client.post("/language", data={"lang": "zh_Hans_CN"})
    assert response.status_code == 400
    _assert_speaks(bare_client.get("/"), "en")


def test_switcher_ignores_an_unknown_language(client):
    client.post("/language", data={"lang": "xx_YY"})
    _assert_speaks(client.get("/", headers={"Accept-Language": "zh-HK"}), "zh-Hant-HK")


def test_signed_in_users_saved_language_wins(client, auth, make):
    user = make.user("researcher")
    auth.login(user.email)
    open_page(client, "/").form(action="/language").submit("繁體中文")
    auth.logout()
    auth.login(user.email)  # a fresh session: only the account remembers the choice
    _assert_speaks(client.get("/?lang=zh-CN", headers={"Accept-Language": "zh-CN"}), "zh-Hant-HK")


def test_pagination_speaks_the_readers_language(client, make):
    owner = make.user("researcher")
    for n in range(21):  # one more than a page
        make.result(owner, title=f"Result {n}")
    _lang, html = _page(client.get("/results/?lang=zh-HK"))
    translations = Translations.load(str(CATALOGUES), ["zh_Hant_HK"])
    assert translations.gettext("Page %(page)d of %(pages)d") % {"page": 1, "pages": 2} in html
    assert translations.gettext("Next") in html
    _lang, html = _page(client.get("/results/?lang=zh-HK&page=2"))
    assert translations.gettext("Previous") in html


def test_built_in_field_errors_use_the_readers_script(client):
    html = submit(client, "/signup?lang=zh-HK", {"email": "not-an-address"}, action="/signup").get_data(as_text=True)
    errors = " ".join(re.findall(r'class="error"[^>]*>([^<]*)<', html))
    assert errors and "欄位" in errors and "字段" not in errors
