"""Sign-up, sign-in and account changes."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Organisation, Role, User
from matchmaker.services import tokens
from matchmaker.services.errors import InvalidInput

MIN_PASSWORD_LENGTH = 12
SELF_SERVICE_ROLES = (Role.RESEARCHER, Role.ENTERPRISE)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == User.normalise_email(email)))


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(_("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), field="password")


def find_or_create_company(name: str, region: str) -> Organisation:
    """Enterprise sign-up names its company; an existing one with the same name is reused."""
    name = " ".join(name.split())
    existing = db.session.scalar(sa.select(Organisation).where(
        Organisation.kind == "enterprise", sa.func.lower(Organisation.name_en) == name.lower()))
    if existing:
        return existing
    company = Organisation(kind="enterprise", name_en=name, name_zh="", region=region)
    db.session.add(company)
    return company


def create_user(email: str, password: str, display_name: str, role: str,
                organisation: Organisation | None = None, locale: str | None = None) -> User:
    """Create an account; the caller commits.

    :raise InvalidInput: the email is taken, the password too short or the role unknown.
    """
    if role not in set(Role):
        raise InvalidInput(_("Unknown role."), field="role")
    check_password_strength(password)
    if find_user_by_email(email):
        raise InvalidInput(_("An account with this email already exists."), field="email")
    user = User(email=User.normalise_email(email), display_name=display_name.strip(), role=role,
                organisation=organisation, locale=locale)
    user.set_password(password)
    db.session.add(user)
    return user


def sign_up(email: str, password: str, display_name: str, role: str, *, university_id: int | None = None,
            company_name: str = "", company_region: str = "", locale: str | None = None) -> User:
    """Self-service sign-up as a researcher of a university or a user of a company; commits.

    :raise InvalidInput: naming the field at fault.
    """
    if role not in SELF_SERVICE_ROLES:
        raise InvalidInput(_("Choose researcher or enterprise."), field="role")
    if role == Role.RESEARCHER:
        organisation = db.session.get(Organisation, university_id or 0)
        if not organisation or not organisation.is_university:
            raise InvalidInput(_("Choose your university."), field="university_id")
    else:
        if not company_name.strip():
            raise InvalidInput(_("Name your company."), field="company_name")
        organisation = find_or_create_company(company_name, company_region)
    user = create_user(email, password, display_name, role, organisation, locale)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for unknown email and bad password)."""
    user = find_user_by_email(email)
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Set a new password and end every other session; commits.

    :raise InvalidInput: wrong current password or a weak new one.
    """
    if not user.check_password(current_password):
        raise InvalidInput(_("That is not your current password."), field="current_password")
    try:
        check_password_strength(new_password)
    except InvalidInput as error:
        raise InvalidInput(error.message, field="new_password") from None
    user.set_password(new_password)
    tokens.revoke_all(user)
    db.session.commit()


def end_all_sessions(user: User) -> None:
    user.rotate_session_token()
    db.session.commit()


def update_preferences(user: User, locale: str | None, email_notifications: bool) -> None:
    user.locale = locale or None
    user.email_notifications = email_notifications
    db.session.commit()
