"""Forms of the auth blueprint."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from matchmaker import taxonomy
from matchmaker.extensions import db
from matchmaker.forms import NoControlCharacters, strip_text
from matchmaker.i18n import LOCALES, current_locale
from matchmaker.models import Organisation


class LoginForm(FlaskForm):
    # No Email() here (a wrong address is just a failed sign-in), but no NUL either: PostgreSQL
    # refuses it in the lookup and the sign-in would end in a 500.
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254), NoControlCharacters()],
                       filters=[strip_text])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class SignUpForm(FlaskForm):
    role = RadioField(_l("I am"), choices=[("researcher", _l("a researcher at a university")),
                                           ("enterprise", _l("working for a company"))],
                      validators=[DataRequired()])
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100),
                                                            NoControlCharacters()], filters=[strip_text])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)],
                       filters=[strip_text])
    password = PasswordField(_l("Password (at least 12 characters)"),
                             validators=[DataRequired(), Length(min=12, max=200)])
    university_id = SelectField(_l("University"), coerce=int, validators=[Optional()])
    company_name = StringField(_l("Company name"), validators=[Length(max=200), NoControlCharacters()],
                               filters=[strip_text])
    company_region = SelectField(_l("Company location"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        locale = current_locale()
        universities = db.session.scalars(sa.select(Organisation).where(
            Organisation.kind == "university").order_by(Organisation.name_en))
        self.university_id.choices = [(0, _l("Choose…"))] + [
            (org.id, org.display_name(locale)) for org in universities]
        self.company_region.choices = taxonomy.REGIONS.choices(locale)


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("New password (at least 12 characters)"),
                                 validators=[DataRequired(), Length(min=12, max=200)])


class PreferencesForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=[("", _l("As my browser asks"))] + list(LOCALES.items()))
    email_notifications = BooleanField(_l("Email me about my matches"))


class LanguageForm(FlaskForm):
    lang = SelectField(_l("Language"), choices=list(LOCALES.items()))
