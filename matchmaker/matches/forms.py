"""Forms for deciding, answering and closing matches."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from matchmaker import taxonomy
from matchmaker.forms import NoControlCharacters, strip_text
from matchmaker.i18n import current_locale


def _note(label, description=""):
    return TextAreaField(label, description=description,
                         validators=[Optional(), Length(max=2000), NoControlCharacters()], filters=[strip_text])


# Who reads a text is said on the form itself: the sides' words go to the other side, notes stay inside.
def _message_to_both(description=""):
    return _note(_l("Message to both sides (they will see this)"), description)


def _internal_note():
    return _note(_l("Internal note (reviewers and admins only)"),
                 _l("Never shown to the researcher or the company."))


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[("approve", _l("Introduce the two sides")),
                                                   ("reject", _l("Reject"))], validators=[DataRequired()])
    reason = SelectField(_l("Reason for rejecting"), validators=[Optional()])
    message = _message_to_both(_l("Sent with the introduction. Leave it empty when rejecting."))
    note = _internal_note()
    version = IntegerField(validators=[InputRequired()], render_kw={"hidden": True})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = [("", "—")] + taxonomy.REJECTION_REASONS.choices(current_locale())


class ResponseForm(FlaskForm):
    answer = RadioField(_l("Your answer"), choices=[("interested", _l("Interested: let's talk")),
                                                    ("declined", _l("Not interested"))],
                        validators=[DataRequired()])
    message = _note(_l("Message to the other side"),
                    _l("The other side and the reviewers see it with your answer."))


class OutcomeForm(FlaskForm):
    outcome = RadioField(_l("Outcome"), choices=[("agree", _l("We reached an agreement")),
                                                 ("close", _l("Close without an agreement"))],
                         validators=[DataRequired()])
    deal_kind = SelectField(_l("Kind of deal"), validators=[Optional()])
    message = _message_to_both(_l("Required when closing: say why."))
    note = _internal_note()  # rendered for reviewers and admins only

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.deal_kind.choices = [("", "—")] + taxonomy.DEAL_KINDS.choices(current_locale())


class BulkDecisionForm(FlaskForm):
    """The queue's bulk form. `decision` comes from the pressed button alone, so it is never rendered as a
    field: a hidden `decision` before the buttons is what a browser sends first, and WTForms reads that."""

    decision = StringField(validators=[AnyOf(("approve", "reject"))])
    reason = SelectField(_l("Reason for rejecting"), validators=[Optional()])
    next = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = [("", "—")] + taxonomy.REJECTION_REASONS.choices(current_locale())
