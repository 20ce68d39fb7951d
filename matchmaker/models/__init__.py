"""The data model. Importing this package registers every table on `db.metadata`."""

from matchmaker.models.organisations import Organisation
from matchmaker.models.postings import EnterpriseNeed, Posting, ResearchResult
from matchmaker.models.users import Role, User

__all__ = ["EnterpriseNeed", "Organisation", "Posting", "ResearchResult", "Role", "User"]
