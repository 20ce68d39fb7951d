"""Choosing the interface language and formatting for it.

Order: the signed-in user's setting, else `?lang=`, else the language chosen earlier in this session,
else Accept-Language mapped explicitly — Babel's own matching sends every `zh-*` to the first Chinese
locale it knows, which would show Simplified to Hong Kong readers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache

from babel import dates as babel_dates
from babel.support import Translations
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_locale, get_timezone, to_user_timezone
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from wtforms.i18n import messages_path

from matchmaker import taxonomy
from matchmaker.extensions import babel

LOCALES = {"en": "English", "zh_Hant_HK": "繁體中文", "zh_Hans_CN": "简体中文"}
HTML_LANG = {"en": "en", "zh_Hant_HK": "zh-Hant-HK", "zh_Hans_CN": "zh-Hans-CN"}
_TRADITIONAL_TAGS = ("hk", "mo", "tw", "hant")


def map_language_tag(tag: str) -> str | None:
    """Map a BCP 47 tag or a locale name to one of our locales, or None when we do not speak it."""
    tag = (tag or "").strip().lower().replace("_", "-")
    if tag in {"en", "zh-hant-hk", "zh-hans-cn"} or tag.startswith("en-"):
        return {"zh-hant-hk": "zh_Hant_HK", "zh-hans-cn": "zh_Hans_CN"}.get(tag, "en")
    if tag == "zh" or tag.startswith("zh-"):
        parts = tag.split("-")[1:]
        return "zh_Hant_HK" if any(part in _TRADITIONAL_TAGS for part in parts) else "zh_Hans_CN"
    return None


def _signed_in_user_locale() -> str | None:
    try:
        return current_user.locale if current_user.is_authenticated else None
    except SQLAlchemyError:  # the error page for a database outage must still render
        return None


def select_locale() -> str:
    if not has_request_context():  # CLI commands and background work speak the default language
        return "en"
    user_locale = _signed_in_user_locale()
    for candidate in (user_locale, request.args.get("lang"), session.get("lang")):
        locale = map_language_tag(candidate) if candidate else None
        if locale:
            return locale
    for tag, _quality in request.accept_languages:
        locale = map_language_tag(tag)
        if locale:
            return locale
    return "en"


def remember_query_language() -> None:
    """A `?lang=` link keeps its language for the rest of an anonymous visit."""
    locale = map_language_tag(request.args.get("lang", ""))
    if locale and session.get("lang") != locale:
        session["lang"] = locale


# WTForms ships its own messages in Simplified (zh) and Taiwanese (zh_TW) only; Babel's fallback would show
# Simplified field errors to Hong Kong readers.
_WTFORMS_LOCALES = {"zh_Hant_HK": "zh_TW", "zh_Hans_CN": "zh"}


def use_wtforms_catalogue() -> None:
    """Give WTForms' built-in field errors the reader's script (Flask-WTF reads request.wtforms_translations).

    Set for English too: when it is missing, Flask-WTF looks for the catalogue on disk on every request.
    """
    request.wtforms_translations = _wtforms_translations(_WTFORMS_LOCALES.get(current_locale(), "en"))


@lru_cache(maxsize=4)
def _wtforms_translations(locale: str) -> Translations:
    return Translations.load(messages_path(), [locale], domain="wtforms")


def current_locale() -> str:
    """Our locale name for the current request (``en``, ``zh_Hant_HK`` or ``zh_Hans_CN``)."""
    if "locale_name" not in g:
        g.locale_name = str(get_locale() or "en")
    return g.locale_name


# One medium, unambiguous pattern per locale, 24-hour clock: "7 Dec 2026, 22:25", "2026年12月7日 22:25".
# English is written the British way (day before month), as Hong Kong writes it.
_DATE_PATTERNS = {"en": ("d MMM y", "d MMM y, HH:mm"), "zh_Hant_HK": ("y年M月d日", "y年M月d日 HH:mm"),
                  "zh_Hans_CN": ("y年M月d日", "y年M月d日 HH:mm")}
_BABEL_LOCALE = {"en": "en_GB", "zh_Hant_HK": "zh_Hant_HK", "zh_Hans_CN": "zh_Hans_CN"}


def _date_locale() -> tuple[str, tuple[str, str]]:
    locale = current_locale() if has_request_context() else "en"
    locale = locale if locale in _DATE_PATTERNS else "en"
    return _BABEL_LOCALE[locale], _DATE_PATTERNS[locale]


def format_day(value: date | datetime | None) -> str:
    """The calendar day for people, in Hong Kong time when `value` is a moment (stored UTC; naive = UTC).

    With `format_moment`, the only way the UI writes a date (the templates' `date` and `datetime` filters).
    """
    if value is None:
        return ""
    locale, (pattern, _moment) = _date_locale()
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()  # 23:30 UTC is already the next day in Hong Kong
    return babel_dates.format_date(value, pattern, locale=locale)


def format_moment(value: datetime | None) -> str:
    """Day and 24-hour time for people, in Hong Kong time (stored UTC; a naive value is UTC)."""
    if value is None:
        return ""
    locale, (_day, pattern) = _date_locale()
    return babel_dates.format_datetime(value, pattern, tzinfo=get_timezone(), locale=locale)


def list_separator() -> str:
    """Chinese enumerates with the ideographic comma (授權許可、合作開發), English with a comma and a space."""
    locale = current_locale() if has_request_context() else "en"
    return "、" if locale.startswith("zh") else ", "


def format_list(items) -> str:
    """Items as one plain-text list the reader's way, for sentences built in Python."""
    return list_separator().join(str(item) for item in items)


def join_list(items) -> Markup:
    """The templates' `join_list` filter: each item escaped (Markup items kept), joined the reader's way."""
    return Markup(list_separator()).join(items)  # noqa: S704 - join() escapes every item that is not Markup


def vocabulary_label(code: str, vocabulary) -> str:
    """`code`'s label in the reader's language: `codes|map("vocabulary_label", taxonomy.X)|join_list`."""
    return vocabulary.label(code, current_locale())


def machine_moment(value: datetime) -> str:
    """The ISO 8601 UTC form for `<time datetime>`: SQLite hands back naive values, which mean UTC."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _answers_get(path: str) -> str | None:
    """`path` as a GET reaches it (after a trailing-slash redirect), or None when no GET route has it."""
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except RequestRedirect as redirect:
        return redirect.new_url.removeprefix("http://localhost")
    except HTTPException:
        return None
    return path


def language_return_url() -> str:
    """Where the language switcher sends the reader back: a page a GET can show again.

    A page rendered by a POST (a form sent back with its errors, a token shown once) may live at a URL
    that only takes POSTs (`/account/password`, `/matches/7/decision`); returning there would answer 405.
    The form's own page is then the nearest enclosing path that answers GET (`/account`, `/matches/7`).
    """
    if request.method in ("GET", "HEAD"):
        return request.full_path if request.query_string else request.path
    path = request.path
    while path not in ("", "/"):
        if (target := _answers_get(path)) is not None:
            return target + (f"?{request.query_string.decode()}" if request.query_string and target == path
                             else "")
        path = path.rstrip("/").rpartition("/")[0]
    return "/"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel's own date filters write each locale's "short" or "medium" form ("12/7/26, 10:25 PM"):
    # removed, so a template that reaches for them fails to compile instead of showing a third format.
    for name in ("datetimeformat", "dateformat", "timeformat"):
        app.jinja_env.filters.pop(name, None)
    app.add_template_filter(format_day, "date")
    app.add_template_filter(format_moment, "datetime")
    app.add_template_filter(machine_moment, "iso")
    app.add_template_filter(join_list)
    app.add_template_filter(vocabulary_label)
    app.add_template_global(list_separator)
    app.before_request(remember_query_language)
    app.before_request(use_wtforms_catalogue)

    @app.context_processor
    def inject_locales():
        return {"LOCALES": LOCALES, "current_locale": current_locale, "taxonomy": taxonomy,
                "language_return_url": language_return_url,
                "html_lang": lambda: HTML_LANG.get(current_locale(), "en"),
                "label": lambda vocabulary, code: vocabulary.label(code, current_locale())}
