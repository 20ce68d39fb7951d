"""The data model. Importing this package registers every table on `db.metadata`."""

from matchmaker.models.imports import ImportJob, JobState
from matchmaker.models.matches import Match, MatchEvent, MatchState
from matchmaker.models.notifications import Notification, OutboxMail
from matchmaker.models.organisations import Organisation
from matchmaker.models.postings import EnterpriseNeed, Posting, ResearchResult
from matchmaker.models.tokens import ApiToken
from matchmaker.models.users import Role, User

__all__ = ["ApiToken", "EnterpriseNeed", "ImportJob", "JobState", "Match", "MatchEvent", "MatchState",
           "Notification", "Organisation", "OutboxMail", "Posting", "ResearchResult", "Role", "User"]
