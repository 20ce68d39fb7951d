"""Bulk import of research results and needs from a spreadsheet: check every row, then apply all or none.

Each row goes through the very form a poster fills in (same lengths, required fields, control-character
refusal, e-mail and date parsing, messages in the reader's language) and then through the service's own
rules (`postings.check_codes`, `check_rules`), so an import can store nothing a form could not. Rows are
keyed by `external_ref`, unique per organisation: importing a file again updates those postings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from matchmaker import taxonomy
from matchmaker.extensions import db
from matchmaker.forms import has_control_characters
from matchmaker.models import Organisation, User
from matchmaker.models.base import utcnow
from matchmaker.models.postings import Status
from matchmaker.services import postings
from matchmaker.services.errors import InvalidInput
from matchmaker.services.spreadsheets import Table

KEY_COLUMNS = ("external_ref", "owner_email", "status")
FIELDS = {
    "result": ("title", "summary", "details", "keywords", "sector", "trl", "ip_status", "patent_numbers",
               "jurisdictions", "cooperation_modes", "inventors", "contact_email"),
    "need": ("title", "description", "keywords", "sector", "region", "budget_min", "budget_max", "currency",
             "min_trl", "deadline", "cooperation_modes", "confidential"),
}
COLUMNS = {kind: KEY_COLUMNS + fields for kind, fields in FIELDS.items()}
REQUIRED = {"result": ("external_ref", "title", "summary", "sector"),
            "need": ("external_ref", "title", "description", "sector", "region")}
# Columns our own exports add; an exported file imports again, so these are read and ignored.
EXPORT_ONLY = ("id", "organisation", "published_at", "url")
CODED = {"sector": taxonomy.SECTORS, "ip_status": taxonomy.IP_STATUSES, "currency": taxonomy.CURRENCIES,
         "region": taxonomy.REGIONS, "cooperation_modes": taxonomy.COOPERATION_MODES,
         "jurisdictions": taxonomy.JURISDICTIONS}
MULTIPLE = ("cooperation_modes", "jurisdictions")
IMPORTABLE_STATUSES = (Status.DRAFT, Status.PUBLISHED, Status.ARCHIVED)
_TRUE, _FALSE = {"true", "yes", "y", "1", "是"}, {"false", "no", "n", "0", "否", ""}
_LIST_SPLIT = re.compile(r"[,，;；、\s]+")
_DATE = re.compile(r"^(\d{4})[/.年-](\d{1,2})[/.月-](\d{1,2})日?$")
MAX_REF = 100


@dataclass
class Problem:
    row: int
    column: str
    label: str
    message: str


@dataclass
class RowPlan:
    number: int
    ref: str
    data: dict
    status: str
    owner: User | None
    existing: object | None


@dataclass
class Plan:
    kind: str
    organisation: Organisation
    encoding: str
    rows: list[RowPlan] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for row in self.rows if row.existing is None)

    @property
    def updated(self) -> int:
        return len(self.rows) - self.created


def check(table: Table, kind: str, organisation: Organisation, importer: User) -> Plan:
    """The dry run: every problem of every row, and what applying the file would do. Writes nothing.

    `owner_email` may name an active poster of that kind in the organisation, the posting's current
    owner (so an export imports again) or the importer.
    """
    plan = Plan(kind, organisation, table.encoding)
    columns = [name.strip().lower() for name in table.header]
    plan.problems.extend(_header_problems(columns, kind))
    if plan.problems:
        return plan
    checker = _RowChecker(kind, organisation, columns, table, importer)
    for number, cells in table.rows:
        checker.check(number, cells, plan)
    return plan


def _header_problems(columns: list[str], kind: str) -> list[Problem]:
    problems = []
    known = set(COLUMNS[kind]) | set(EXPORT_ONLY)
    for position, name in enumerate(columns):
        if name not in known:
            problems.append(Problem(1, name, name, _("Unknown column. Download the template to see the "
                                                     "columns this import reads.")))
        elif name in columns[:position]:
            problems.append(Problem(1, name, name, _("This column appears twice.")))
    for name in REQUIRED[kind]:
        if name not in columns:
            problems.append(Problem(1, name, name, _("This column is missing.")))
    return problems


class _RowChecker:
    """Checks rows one by one against one reusable form and prefetched postings and owners."""

    def __init__(self, kind: str, organisation: Organisation, columns: list[str], table: Table,
                 importer: User):
        from matchmaker.postings.forms import NeedForm, ResultForm

        self.kind, self.organisation, self.columns = kind, organisation, columns
        self.form = (ResultForm if kind == "result" else NeedForm)(formdata=None, meta={"csrf": False})
        self.present = [name for name in FIELDS[kind] if name in columns]
        refs = {self._cell(cells, "external_ref").strip() for _n, cells in table.rows}
        emails = {User.normalise_email(self._cell(cells, "owner_email")) for _n, cells in table.rows}
        self.existing = _existing_postings(kind, organisation, refs - {""})
        self.owners = _owners(kind, organisation, emails - {""})
        self.owners[importer.email] = importer
        self.seen: dict[str, int] = {}
        self.codes = {name: _code_lookup(vocabulary) for name, vocabulary in CODED.items()}

    def _cell(self, cells: list[str], name: str) -> str:
        if name not in self.columns:
            return ""
        position = self.columns.index(name)
        return cells[position] if position < len(cells) else ""

    def check(self, number: int, cells: list[str], plan: Plan) -> None:
        problems: list[Problem] = []
        ref = self._reference(number, cells, problems)
        owner = self._owner(number, cells, self.existing.get(ref), problems)
        status = self._status(number, cells, problems)
        data = self._fields(number, cells, problems)
        plan.problems.extend(problems)
        if not problems:
            plan.rows.append(RowPlan(number, ref, data, status, owner, self.existing.get(ref)))

    def _reference(self, number: int, cells: list[str], problems: list[Problem]) -> str:
        ref = self._cell(cells, "external_ref").strip()
        message = None
        if not ref:
            message = _("This field is required.")
        elif len(ref) > MAX_REF:
            message = _("At most %(max)d characters.", max=MAX_REF)
        elif has_control_characters(ref):
            message = _("Remove the control characters (such as NUL) from this text.")
        elif ref in self.seen:
            message = _("This reference is already used on row %(row)d.", row=self.seen[ref])
        if message:
            problems.append(Problem(number, "external_ref", _("External reference"), message))
        else:
            self.seen[ref] = number
        return ref

    def _owner(self, number: int, cells: list[str], existing, problems: list[Problem]) -> User | None:
        email = User.normalise_email(self._cell(cells, "owner_email"))
        if not email:
            return None
        if existing is not None and existing.owner.email == email:
            return existing.owner
        owner = self.owners.get(email)
        if owner is None:
            problems.append(Problem(number, "owner_email", _("Owner's email"), _(
                "No active account of this organisation that may post this kind of entry has this email.")))
        return owner

    def _status(self, number: int, cells: list[str], problems: list[Problem]) -> str:
        status = self._cell(cells, "status").strip().lower() or Status.PUBLISHED
        if status not in IMPORTABLE_STATUSES:
            problems.append(Problem(number, "status", _("Status"), _("Choose a value from the list.")))
        return status

    def _fields(self, number: int, cells: list[str], problems: list[Problem]) -> dict:
        formdata = MultiDict()
        for name in self.present:
            for value in self._form_values(name, self._cell(cells, name), number, problems):
                formdata.add(name, value)
        self.form.process(formdata)
        self.form.validate()
        errors = {name: messages for name, messages in self.form.errors.items() if name in self.present}
        for name, messages in errors.items():
            problems.extend(Problem(number, name, str(self.form[name].label.text), str(message))
                            for message in messages)
        data = {name: value for name, value in self.form.to_data().items() if name in self.present}
        clean = {name: value for name, value in data.items() if name not in errors}
        try:
            postings.check_codes(clean)
            postings.check_rules(clean)
        except InvalidInput as error:
            name = error.field or "title"
            problems.append(Problem(number, name, str(self.form[name].label.text), error.message))
        return data

    def _form_values(self, name: str, text: str, number: int, problems: list[Problem]) -> list[str]:
        """The cell as a browser would post it: codes for labels, one value per ticked box."""
        text = text.strip()
        if name in MULTIPLE:
            return [self.codes[name].get(part.casefold(), part) for part in _LIST_SPLIT.split(text) if part]
        if name in CODED:
            return [self.codes[name].get(text.casefold(), text)]
        if name == "confidential":
            if text.lower() not in _TRUE | _FALSE:
                problems.append(Problem(number, name, str(self.form[name].label.text),
                                        _("Write yes or no.")))
            return ["y"] if text.lower() in _TRUE else []
        if name in ("budget_min", "budget_max"):
            return [text.replace(",", "").replace(" ", "")]
        if name == "deadline" and (found := _DATE.match(text)):
            year, month, day = found.groups()
            return [f"{year}-{int(month):02d}-{int(day):02d}"]
        return [text]


def _code_lookup(vocabulary) -> dict[str, str]:
    """Codes and their labels in all three languages, case-folded, mapped to the code."""
    lookup = {}
    for term in vocabulary:
        for key in (term.code, term.en, term.zh_hant, term.zh_hans):
            lookup[key.casefold()] = term.code
    return lookup


def _chunks(values, size: int = 500):
    values = sorted(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _existing_postings(kind: str, organisation: Organisation, refs: set[str]) -> dict[str, object]:
    model = postings.model_for(kind)
    found = {}
    for chunk in _chunks(refs):
        rows = db.session.scalars(sa.select(model).where(model.organisation_id == organisation.id,
                                                          model.external_ref.in_(chunk)))
        found.update({row.external_ref: row for row in rows})
    return found


def _owners(kind: str, organisation: Organisation, emails: set[str]) -> dict[str, User]:
    found = {}
    for chunk in _chunks(emails):
        rows = db.session.scalars(sa.select(User).where(
            User.email.in_(chunk), User.organisation_id == organisation.id,
            User.role == postings.POSTER_ROLE[kind], User.active.is_(True)))
        found.update({row.email: row for row in rows})
    return found


def apply(plan: Plan, importer: User) -> list:
    """Create or update every row of a checked plan in the session; the caller commits once.

    :raise InvalidInput: the plan still has problems.
    :returns: the postings, in file order.
    """
    if plan.problems:
        raise InvalidInput(_("The file has problems; nothing was imported."), field="file")
    model, now = postings.model_for(plan.kind), utcnow()
    out = []
    for row in plan.rows:
        posting = row.existing
        if posting is None:
            posting = model(organisation_id=plan.organisation.id, external_ref=row.ref, owner_id=importer.id)
            db.session.add(posting)
        if row.owner is not None:
            posting.owner_id = row.owner.id
        for name, value in row.data.items():
            setattr(posting, name, value)
        posting.status = row.status
        if row.status == Status.PUBLISHED and posting.published_at is None:
            posting.published_at = now
        postings.refresh_derived(posting)
        out.append(posting)
    db.session.flush()
    return out
