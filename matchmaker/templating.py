"""Jinja filters and globals the templates share."""

from __future__ import annotations

import re

from flask import Flask, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

_LATIN = "A-Za-z0-9"


def _as_whole_word(term: str) -> str:
    """A term that begins or ends with a Latin letter or digit matches only where the text's word does too:
    "ev" never lights up inside "co-develop". Chinese has no spaces, so a Chinese edge matches anywhere."""
    pattern = re.escape(term)
    if re.match(f"[{_LATIN}]", term):
        pattern = f"(?<![{_LATIN}])" + pattern
    if re.search(f"[{_LATIN}]$", term):
        pattern += f"(?![{_LATIN}])"
    return pattern


def highlight(text: str | None, terms) -> Markup:
    """`text` escaped, with each of `terms` wrapped in <mark> (longest first, case-insensitive; Latin terms
    as whole words)."""
    safe = str(escape(text or ""))
    words = sorted({str(escape(t)) for t in terms or [] if t and t.strip()}, key=len, reverse=True)
    if not words:
        return Markup(safe)  # noqa: S704 - built from escape() above
    pattern = re.compile("|".join(_as_whole_word(w) for w in words), re.IGNORECASE)
    return Markup(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", safe))  # noqa: S704 - escaped text


def explanation_terms(explanation: list[dict] | None, side: str) -> list[str]:
    return [term for item in explanation or [] for term in item.get(f"{side}_terms", [])]


def posting_guidance(posting) -> dict:
    from matchmaker.services.guidance import for_owner

    return for_owner(posting)


def may_import() -> bool:
    """Whether the import page would let the current user in: the link shows exactly when it would."""
    from matchmaker.services.import_jobs import organisations_for

    return current_user.is_authenticated and current_user.is_reviewer and bool(organisations_for(current_user))


def may_post(kind: str) -> bool:
    """Whether the current user may post a `kind` ("result" or "need"): the link shows exactly then."""
    from matchmaker.services.postings import may_post as allowed

    return allowed(kind, current_user)


def url_without(*names: str) -> str:
    """This page's URL without the query arguments `names` (and back on its first page)."""
    kept = {key: value for key, value in request.args.items(multi=True) if value and key not in (*names, "page")}
    return url_for(request.endpoint, **(request.view_args or {}), **kept)


def init_app(app: Flask) -> None:
    app.add_template_filter(highlight)
    app.add_template_global(explanation_terms)
    app.add_template_global(posting_guidance)
    app.add_template_global(may_import)
    app.add_template_global(may_post)
    app.add_template_global(url_without)

    @app.context_processor
    def inject_unread():
        def unread() -> int:
            if not current_user.is_authenticated:
                return 0
            from matchmaker.services.notifications import unread_count

            return unread_count(current_user)

        return {"unread_notifications": unread}
