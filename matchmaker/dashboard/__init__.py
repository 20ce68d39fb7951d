"""Dashboards for reviewers and admins: the match funnel, the review backlog, time to decision."""
