"""Posting forms. Choice labels follow the reader's language; stored values are taxonomy codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from matchmaker import taxonomy
from matchmaker.forms import MaxLength, NoControlCharacters, split_keywords, strip_text
from matchmaker.i18n import current_locale


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _text(label, max_length, required=False, area=False, **kwargs):
    validators = [DataRequired() if required else Optional(), MaxLength(max_length), NoControlCharacters()]
    field_class = TextAreaField if area else StringField
    return field_class(label, validators=validators, filters=[strip_text], **kwargs)


class PostingForm(FlaskForm):
    """Fields both kinds have; `to_data` gives what the service saves."""

    title = _text(_l("Title"), 200, required=True)
    keywords = _text(_l("Keywords"), 500)
    sector = SelectField(_l("Sector"), validators=[DataRequired()])
    cooperation_modes = MultiCheckboxField(_l("Cooperation modes"))

    NUMBER_FIELDS: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        locale = current_locale()
        self.sector.choices = [("", _l("Choose…"))] + taxonomy.SECTORS.choices(locale)
        self.cooperation_modes.choices = taxonomy.COOPERATION_MODES.choices(locale)
        self.localise_choices(locale)
        if not self.is_submitted() and kwargs.get("obj") is not None:
            self.keywords.data = ", ".join(kwargs["obj"].keywords or [])

    def localise_choices(self, locale: str) -> None:
        """Subclasses fill their own choice lists."""

    def to_data(self) -> dict:
        data = {name: field.data for name, field in self._fields.items()
                if name not in ("csrf_token", "submit")}
        data["keywords"] = split_keywords(self.keywords.data)
        return data


def _trl_choices(blank_label):
    return [("", blank_label)] + [(code, code) for code in taxonomy.TRL.codes]


class ResultForm(PostingForm):
    summary = _text(_l("Summary"), 2000, required=True, area=True)
    details = _text(_l("Details"), 20000, area=True)
    trl = SelectField(_l("Technology readiness level (TRL)"), coerce=lambda v: int(v) if v else None,
                      validators=[Optional()])
    # Required, from an empty "Choose…": a preselected status would claim a patent nobody said they hold.
    ip_status = SelectField(_l("Intellectual property"), validators=[DataRequired(
        _l("Say how the result is protected; choose “No IP protection” if it is not."))])
    patent_numbers = _text(_l("Patent numbers"), 500)
    jurisdictions = MultiCheckboxField(_l("Jurisdictions"))
    inventors = _text(_l("Inventors and contact person"), 500)
    contact_email = EmailField(_l("Contact email"), validators=[Optional(), Email(), MaxLength(254)],
                               filters=[strip_text])

    def localise_choices(self, locale: str) -> None:
        self.trl.choices = [("", _l("Not yet assessed"))] + taxonomy.TRL.choices(locale)
        self.ip_status.choices = [("", _l("Choose…"))] + taxonomy.IP_STATUSES.choices(locale)
        self.jurisdictions.choices = taxonomy.JURISDICTIONS.choices(locale)


class NeedForm(PostingForm):
    description = _text(_l("Description"), 20000, required=True, area=True)
    budget_min = IntegerField(_l("Budget from"), validators=[Optional(), NumberRange(min=0, max=10**12)])
    budget_max = IntegerField(_l("Budget up to"), validators=[Optional(), NumberRange(min=0, max=10**12)])
    currency = SelectField(_l("Currency"))
    min_trl = SelectField(_l("Lowest TRL you can work with"), coerce=lambda v: int(v) if v else None,
                          validators=[Optional()])
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    region = SelectField(_l("Where the work happens"), validators=[DataRequired()])
    confidential = BooleanField(_l("Confidential: hide our company and the details until both sides agree"))

    def localise_choices(self, locale: str) -> None:
        self.currency.choices = taxonomy.CURRENCIES.choices(locale)
        self.min_trl.choices = [("", _l("Any"))] + taxonomy.TRL.choices(locale)
        self.region.choices = [("", _l("Choose…"))] + taxonomy.REGIONS.choices(locale)
