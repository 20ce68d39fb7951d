"""Request and response schemas of the JSON API (marshmallow, through APIFlask, which turns them into the
OpenAPI spec). Input is checked here for shape, lengths, codes and control characters; the services
still check the rules (TRL range, budget order, who may post) so the site and the API refuse alike.
"""

from __future__ import annotations

from apiflask import Schema
from apiflask import fields as af  # never `from apiflask.fields import String`: it shadows sqlalchemy's
from apiflask.validators import Length, OneOf, Range
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError, post_load

from matchmaker import taxonomy
from matchmaker.forms import has_control_characters
from matchmaker.models.base import MAX_ID
from matchmaker.models.postings import Status

MAX_BUDGET = 10**12


class Text(af.String):
    """A string trimmed of surrounding white space; control characters (NUL and friends) refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if has_control_characters(text):
            raise ValidationError(_("Remove the control characters (such as NUL) from this text."))
        return text.strip()


def _codes(vocabulary: taxonomy.Vocabulary) -> OneOf:
    return OneOf(list(vocabulary.codes))


def _email_or_empty(value: str) -> None:
    if value and ("@" not in value or value.startswith("@") or value.endswith("@") or " " in value):
        raise ValidationError(_("Enter an email address, or leave it empty."))


def _strict_bool(**kwargs) -> af.Boolean:
    return af.Boolean(truthy={True}, falsy={False}, **kwargs)


def _query_id(**kwargs) -> af.Integer:
    """An id in a query string (text, so not strict), within PostgreSQL's integer range."""
    return af.Integer(validate=Range(1, MAX_ID), **kwargs)


# ---- postings in --------------------------------------------------------------------------------------

class PostingIn(Schema):
    title = Text(required=True, validate=Length(1, 200))
    keywords = af.List(Text(validate=Length(1, 100)), validate=Length(max=30),
                       metadata={"description": "Keywords in any of the three languages."})
    sector = af.String(required=True, validate=_codes(taxonomy.SECTORS))
    cooperation_modes = af.List(af.String(validate=_codes(taxonomy.COOPERATION_MODES)),
                                validate=Length(max=10))

    @post_load
    def _dedupe_keywords(self, data, **kwargs):
        if "keywords" in data:
            seen: dict[str, str] = {}
            for word in data["keywords"]:
                seen.setdefault(" ".join(word.split()).lower(), " ".join(word.split()))
            data["keywords"] = list(seen.values())
        for name in ("cooperation_modes", "jurisdictions"):
            if name in data:
                data[name] = list(dict.fromkeys(data[name]))
        return data


class ResultIn(PostingIn):
    summary = Text(required=True, validate=Length(1, 2000))
    details = Text(validate=Length(max=20000))
    trl = af.Integer(strict=True, allow_none=True, validate=Range(1, 9),
                     metadata={"description": "Technology readiness level 1–9; null when not assessed."})
    ip_status = af.String(validate=_codes(taxonomy.IP_STATUSES))
    patent_numbers = Text(validate=Length(max=500))
    jurisdictions = af.List(af.String(validate=_codes(taxonomy.JURISDICTIONS)), validate=Length(max=10))
    inventors = Text(validate=Length(max=500))
    contact_email = Text(validate=[Length(max=254), _email_or_empty])


class NeedIn(PostingIn):
    description = Text(required=True, validate=Length(1, 20000))
    budget_min = af.Integer(strict=True, allow_none=True, validate=Range(0, MAX_BUDGET))
    budget_max = af.Integer(strict=True, allow_none=True, validate=Range(0, MAX_BUDGET))
    currency = af.String(validate=_codes(taxonomy.CURRENCIES))
    min_trl = af.Integer(strict=True, allow_none=True, validate=Range(1, 9),
                         metadata={"description": "The lowest TRL the company can work with; null for any."})
    deadline = af.Date(allow_none=True,
                       metadata={"description": "The need expires after this day (HK time)."})
    region = af.String(required=True, validate=_codes(taxonomy.REGIONS))
    confidential = _strict_bool(metadata={"description": "Hide the company and the details until both "
                                                         "sides of a match said interested."})


# ---- postings out -------------------------------------------------------------------------------------

class OrganisationOut(Schema):
    id = af.Integer()
    kind = af.String()
    name_en = af.String()
    name_zh = af.String()
    region = af.String()


class PostingOut(Schema):
    id = af.Integer(required=True)
    kind = af.String(required=True, metadata={"description": "`result` or `need`."})
    title = af.String(required=True)
    keywords = af.List(af.String())
    sector = af.String(required=True)
    cooperation_modes = af.List(af.String())
    status = af.String(required=True, metadata={"description": "draft, published, archived or expired."})
    languages = af.List(af.String(), metadata={"description": "Languages detected in the text."})
    organisation = af.Nested(OrganisationOut)
    can_edit = af.Boolean(metadata={"description": "Whether the caller may change this posting."})
    url = af.String(metadata={"description": "The posting's page on the site."})
    created_at = af.DateTime()
    updated_at = af.DateTime()
    published_at = af.DateTime(allow_none=True)


class ResultOut(PostingOut):
    summary = af.String()
    details = af.String()
    trl = af.Integer(allow_none=True)
    ip_status = af.String()
    patent_numbers = af.String()
    jurisdictions = af.List(af.String())
    inventors = af.String()
    contact_email = af.String(metadata={"description": "Only for the owner and staff; shared with the other "
                                                      "side of a match once connected."})


class NeedOut(PostingOut):
    description = af.String()
    budget_min = af.Integer(allow_none=True)
    budget_max = af.Integer(allow_none=True)
    currency = af.String()
    min_trl = af.Integer(allow_none=True)
    deadline = af.Date(allow_none=True)
    region = af.String()
    confidential = af.Boolean()
    details_hidden = af.Boolean(metadata={"description": "True when the need is confidential and the caller "
                                                        "may not see its company and details (omitted)."})


class PageOut(Schema):
    page = af.Integer(required=True)
    per_page = af.Integer(required=True)
    total = af.Integer(required=True)
    pages = af.Integer(required=True)


# Lists nest their own subclasses: nesting ResultOut itself, which is also a response of its own, makes
# apispec register it twice (a warning, and a duplicate in the spec).
class ResultItem(ResultOut):
    pass


class NeedItem(NeedOut):
    pass


class ResultPage(PageOut):
    items = af.List(af.Nested(ResultItem), required=True)


class NeedPage(PageOut):
    items = af.List(af.Nested(NeedItem), required=True)


class PublishIn(Schema):
    confirm_duplicate = _strict_bool(load_default=False, metadata={
        "description": "Publish even though it reads at least 90% like a live posting of the same "
                       "organisation (without it such a publish is refused with 409 naming that posting)."})


# ---- queries ------------------------------------------------------------------------------------------

class PageQuery(Schema):
    class Meta:
        unknown = EXCLUDE  # clients add cache-busters; an unknown query parameter is not an error

    page = af.Integer(load_default=1, validate=Range(1, 100_000))
    per_page = af.Integer(load_default=20, validate=Range(1, 100))


class PostingQuery(PageQuery):
    q = Text(load_default="", validate=Length(max=200), metadata={"description": "Words to search for, in "
             "any language; Traditional and Simplified Chinese find each other."})
    sector = af.String(validate=_codes(taxonomy.SECTORS))
    region = af.String(validate=_codes(taxonomy.REGIONS))
    institution = _query_id(metadata={"description": "Organisation id."})
    trl = af.Integer(validate=Range(1, 9))
    status = af.String(validate=OneOf([str(s) for s in Status]),
                       metadata={"description": "Default published; draft and archived are for staff."})
    mine = af.Boolean(load_default=False, truthy={"true", "1"}, falsy={"false", "0"}, metadata={
        "description": "Only the caller's own postings, whatever their status (sign-in needed)."})


class MatchQuery(PageQuery):
    state = af.String(validate=_codes(taxonomy.MATCH_STATES))
    need_id = _query_id()
    result_id = _query_id()


# ---- matches ------------------------------------------------------------------------------------------

class PostingRef(Schema):
    id = af.Integer(required=True)
    title = af.String(required=True)


class MatchOut(Schema):
    id = af.Integer(required=True)
    result_id = af.Integer(required=True)
    need_id = af.Integer(required=True)
    result = af.Nested(PostingRef)
    need = af.Nested(PostingRef)
    score = af.Float(required=True)
    rank = af.Integer(required=True, metadata={"description": "The place its publishing side gave it when "
                                                             "stored; prefer result_rank and need_rank."})
    result_rank = af.Integer(allow_none=True, metadata={"description": "Its place among the open matches of "
                                                                      "its result (reviewers; else null)."})
    need_rank = af.Integer(allow_none=True, metadata={"description": "Its place among the open matches of "
                                                                    "its need (reviewers; else null)."})
    state = af.String(required=True)
    version = af.Integer(required=True, metadata={"description": "Send it back with a decision: a stale "
                                                                "version gets 409."})
    result_response = af.String(allow_none=True)
    need_response = af.String(allow_none=True)
    created_at = af.DateTime()
    updated_at = af.DateTime()
    decided_at = af.DateTime(allow_none=True)


class MatchEventOut(Schema):
    at = af.DateTime(required=True)
    from_state = af.String(allow_none=True)
    to_state = af.String(required=True)
    action = af.String(required=True)
    label = af.String(required=True, metadata={
        "description": "What happened and who did it, in the caller's language (e.g. \"ACME Ltd answered: "
                       "interested\")."})
    actor = af.String(allow_none=True, metadata={"description": "Who acted, when the caller may know."})
    actor_side = af.String(allow_none=True, validate=OneOf(["result", "need", "reviewer"]), metadata={
        "description": "The side that acted (`reviewer` for a reviewer or admin); null for the system."})
    message = af.String(allow_none=True, metadata={
        "description": "What the actor said to the two sides; both sides and the reviewers see it."})
    note = af.String(allow_none=True, metadata={
        "description": "Internal note: reviewers and admins only, null for everyone else."})


class ContactOut(Schema):
    name = af.String()
    email = af.String()


class MatchDetailOut(MatchOut):
    explanation = af.List(af.Dict(), allow_none=True, metadata={
        "description": "The shared terms behind the score; null when it would reveal a hidden need."})
    gaps = af.List(af.String(), metadata={"description": "For reviewers: what stands between the sides."})
    reason_code = af.String(allow_none=True)
    decision_note = af.String(allow_none=True, metadata={
        "description": "The reviewer's internal note: reviewers and admins only."})
    contacts = af.Dict(keys=af.String(), values=af.Nested(ContactOut), allow_none=True, metadata={
        "description": "Both sides' contacts, once connected (reviewers always)."})
    events = af.List(af.Nested(MatchEventOut), required=True)


class MatchPage(PageOut):
    items = af.List(af.Nested(MatchOut), required=True)


class DecisionIn(Schema):
    decision = af.String(required=True, validate=OneOf(["approve", "reject"]))
    reason = af.String(validate=_codes(taxonomy.REJECTION_REASONS),
                       metadata={"description": "Needed to reject."})
    message = Text(load_default="", validate=Length(max=2000), metadata={
        "description": "Sent to both sides with an introduction: they will see it. Not allowed when rejecting."})
    note = Text(load_default="", validate=Length(max=2000), metadata={
        "description": "Internal: only reviewers and admins ever see it."})
    version = af.Integer(required=True, strict=True, validate=Range(1, MAX_ID),
                         metadata={"description": "The match version you saw."})


class ResponseIn(Schema):
    answer = af.String(required=True, validate=OneOf(["interested", "declined"]))
    message = Text(load_default="", validate=Length(max=2000), metadata={
        "description": "To the other side: they and the reviewers see it with your answer."})


# ---- notifications, tokens, taxonomy, me --------------------------------------------------------------

class NotificationOut(Schema):
    id = af.Integer(required=True)
    kind = af.String(required=True)
    text = af.String(required=True, metadata={"description": "In the caller's language."})
    match_id = af.Integer(allow_none=True)
    params = af.Dict()
    created_at = af.DateTime()
    read_at = af.DateTime(allow_none=True)


class NotificationPage(PageOut):
    items = af.List(af.Nested(NotificationOut), required=True)
    unread = af.Integer(required=True)


class TokenIn(Schema):
    email = Text(required=True, validate=Length(1, 254))
    password = af.String(required=True, validate=Length(1, 1000))


class TokenOut(Schema):
    token = af.String(required=True, metadata={"description": "Send as `Authorization: Bearer <token>`. "
                                                              "Shown once; only its hash is kept."})
    id = af.Integer(required=True)
    expires_at = af.DateTime(allow_none=True)


class TermOut(Schema):
    code = af.String(required=True)
    labels = af.Dict(keys=af.String(), values=af.String(), required=True)


# One list of terms per vocabulary, keyed by its name: sectors, trl, ip_status, cooperation_modes, …
TaxonomyOut = Schema.from_dict({vocabulary.name: af.List(af.Nested(TermOut), required=True)
                                for vocabulary in taxonomy.ALL}, name="TaxonomyOut")


class MeOut(Schema):
    id = af.Integer(required=True)
    email = af.String(required=True)
    display_name = af.String(required=True)
    role = af.String(required=True)
    locale = af.String(allow_none=True)
    organisation = af.Nested(OrganisationOut, allow_none=True)
