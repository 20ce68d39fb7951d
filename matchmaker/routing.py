"""URL converters: an `<int:…>` in any route never hands the database an id it cannot hold.

PostgreSQL's integer keys stop at 2³¹−1 and a larger literal in a query is a database error. The
converter maps such a number to 0, an id no row has, so every route answers its ordinary 404. (Refusing
the value in the converter instead makes Werkzeug answer 405 for the other methods of the same path.)
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from matchmaker.models.base import MAX_ID


class IdConverter(IntegerConverter):
    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= MAX_ID else 0


def init_app(app: Flask) -> None:
    """Must run before any route is added: rules bind their converters when they are registered."""
    app.url_map.converters["int"] = IdConverter
