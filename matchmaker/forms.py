"""Validators and fields shared by every form."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.validators import Length, ValidationError

# C0 and C1 controls except tab, newline and carriage return. NUL truncates OpenCC's output and
# PostgreSQL refuses it, so bad text is refused at the door instead of half-stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control_characters(text: str) -> bool:
    return bool(_CONTROL.search(text)) or any(
        unicodedata.category(ch) == "Cs" for ch in text)


class NoControlCharacters:
    """Refuse text holding control characters (NUL and friends)."""

    def __init__(self, message=None):
        self.message = message or _l("Remove the control characters (such as NUL) from this text.")

    def __call__(self, form, field):
        data = field.data
        values = data if isinstance(data, list) else [data]
        if any(isinstance(value, str) and has_control_characters(value) for value in values):
            raise ValidationError(self.message)


class MaxLength(Length):
    """At most `max` characters (code points, after the filters), judged here and not by a browser's
    `maxlength`, which cuts a paste without a word. The message gives both numbers, as the counter does."""

    def __init__(self, max: int):  # noqa: A002 - the name WTForms' Length uses
        super().__init__(max=max)

    def __call__(self, form, field):
        length = len(field.data or "")
        if length > self.max:
            raise ValidationError(_("This text has %(length)s characters; at most %(max)s fit. Shorten it "
                                    "and save again.", length=format_number(length), max=format_number(self.max)))


def strip_text(value):
    """Trim surrounding white space, and make a line break one character: browsers send CRLF, and the
    counter under a field counts a line break once, as the limit must."""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def split_keywords(text: str | None) -> list[str]:
    """Keywords are typed separated by commas (any width), semicolons or the Chinese enumeration comma."""
    parts = re.split(r"[,，;；、\n]+", text or "")
    seen: dict[str, None] = {}
    for part in parts:
        word = " ".join(part.split())
        if word and word.lower() not in {k.lower() for k in seen}:
            seen[word] = None
    return list(seen)


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths: refuses `https://evil`, `//evil` and `/\\evil`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if "\\" in target or has_control_characters(target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
