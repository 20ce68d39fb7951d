"""The upload form of a bulk import and the confirmation that commits it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import RadioField, SelectField
from wtforms.validators import DataRequired

ENCODING_CHOICES = [("auto", _l("Detect automatically")), ("utf-8", "UTF-8"),
                    ("gb18030", _l("GB18030 (Simplified Chinese Windows)")),
                    ("big5", _l("Big5 / HKSCS (Traditional Chinese Windows)"))]


def _organisation_id(value) -> int | None:
    return None if value in ("", None) else int(value)


class ImportForm(FlaskForm):
    kind = RadioField(_l("What the file holds"), default="result",
                      choices=[("result", _l("Research results")), ("need", _l("Technical needs"))])
    # Starts at "Choose…": a default would file every row under whichever organisation sorts first.
    organisation = SelectField(_l("Organisation"), coerce=_organisation_id, validators=[
        DataRequired(_l("Choose the organisation to import into."))])
    encoding = SelectField(_l("Encoding of a CSV file"), choices=ENCODING_CHOICES, default="auto")
    file = FileField(_l("CSV or Excel (.xlsx) file"),
                     validators=[FileRequired(), FileAllowed(["csv", "xlsx", "txt"],
                                                             _l("Choose a .csv or .xlsx file."))])

    def __init__(self, organisations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation.choices = [("", _l("Choose…"))] + [(org.id, org.short_name or org.name_en)
                                                             for org in organisations]


class ConfirmForm(FlaskForm):
    """Only the CSRF token: confirming changes the database."""
