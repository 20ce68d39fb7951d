"""The dashboard's figures as tables: each one is drawn as an SVG chart, shown as numbers and offered as CSV.

One table feeds all three, so the chart, the page and the download can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup

from matchmaker import taxonomy
from matchmaker.i18n import current_locale, format_list
from matchmaker.services import charts, dashboard
from matchmaker.services.dashboard import STAGES

CHART_INSTITUTIONS = 15  # the chart shows the busiest ones; the table and the CSV list them all


@dataclass
class Table:
    name: str
    heading: str
    columns: list[str]  # CSV header: stable codes, not translated
    labels: list[str]  # the same columns for people, translated
    rows: list[list]
    chart: Markup
    note: str = ""

    @property
    def shown_rows(self) -> list[list[str]]:
        """The columns people read (the last ``len(labels)``: codes and ids stay in the CSV), formatted."""
        return [[_shown(value) for value in row[-len(self.labels):]] for row in self.rows]


def _shown(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return format_decimal(value, format="#,##0.0#")
    if isinstance(value, int):
        return format_decimal(value)
    return str(value)


class Figures:
    """The service's figures for one set of filters, each computed at most once and only when asked."""

    def __init__(self, filters: dashboard.Filters):
        self.filters = filters

    @cached_property
    def funnel(self) -> dashboard.FunnelReport:
        return dashboard.funnel(self.filters)

    @cached_property
    def backlog(self) -> dict[str, int]:
        return dashboard.backlog(self.filters)

    @cached_property
    def decisions(self) -> dashboard.DecisionTimes:
        return dashboard.decision_times(self.filters)


def stage_labels() -> list[str]:
    return [taxonomy.MATCH_STATES.label(stage, current_locale()) for stage in STAGES]


def _days(value: float | None) -> str:
    return "–" if value is None else format_decimal(round(value, 1), format="#,##0.0")


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _stage_series(counts: list[list[int]]) -> list[charts.Series]:
    return [charts.Series(label, [row[rank] for row in counts]) for rank, label in enumerate(stage_labels())]


def _split_table(name: str, heading: str, key_columns: list[str], key_labels: list[str],
                 keyed: list[tuple[list, list[int]]], desc: str, names: list[str] | None = None) -> Table:
    """A funnel split: one row per key (its columns first), then the four stage counts.

    The chart draws each key's stages as nested bars, labelled with `names` (else the last key column).
    """
    categories = names or [str(keys[-1]) for keys, _counts in keyed]
    series = _stage_series([counts for _keys, counts in keyed])
    chart = charts.bar_chart(f"chart-{name}", heading, desc, categories, series, nested=True)
    return Table(name, heading, key_columns + [str(s) for s in STAGES], key_labels + stage_labels(),
                 [keys + counts for keys, counts in keyed], chart)


def funnel_overall(figures: Figures) -> Table:
    counts = figures.funnel.overall
    heading = _("Funnel")
    desc = _("Matches that reached each stage: %(stages)s.", stages=format_list(
        f"{label} {count}" for label, count in zip(stage_labels(), counts, strict=True)))
    rows = [[str(stage), label, count, _percent(count, counts[0]), _percent(count, counts[max(rank - 1, 0)])]
            for rank, (stage, label, count) in enumerate(zip(STAGES, stage_labels(), counts, strict=True))]
    chart = charts.bar_chart("chart-funnel", heading, desc, stage_labels(), [charts.Series(heading, counts)],
                             colour_by_category=True)
    return Table("funnel", heading, ["stage", "stage_label", "matches", "percent_of_suggested",
                                     "percent_of_previous_stage"],
                 [_("Stage"), _("Matches"), _("Share of suggested (%)"), _("Share of the stage before (%)")],
                 rows, chart)


def funnel_by_month(figures: Figures) -> Table:
    keyed = [([month], counts) for month, counts in figures.funnel.by_month.items()]
    return _split_table("funnel-by-month", _("Funnel by month"), ["month"], [_("Month")], keyed,
                        _("Matches per stage, by the month each match was suggested (Hong Kong time)."))


def funnel_by_sector(figures: Figures) -> Table:
    by_sector = figures.funnel.by_sector
    order = [code for code in taxonomy.SECTORS.codes if code in by_sector]
    order += sorted(code for code in by_sector if code not in taxonomy.SECTORS)
    keyed = [([code, taxonomy.SECTORS.label(code, current_locale())], by_sector[code]) for code in order]
    return _split_table("funnel-by-sector", _("Funnel by sector"), ["sector", "sector_label"], [_("Sector")],
                        keyed, _("Matches per stage, by the sector of the research result."))


def funnel_by_institution(figures: Figures) -> Table:
    report, locale = figures.funnel, current_locale()
    orgs = report.institution_names
    names = {org_id: org.display_name(locale) for org_id, org in orgs.items()}
    order = sorted(report.by_institution, key=lambda org: (-report.by_institution[org][0], names[org]))
    keyed = [([org_id, names[org_id]], report.by_institution[org_id]) for org_id in order]
    shown = order[:CHART_INSTITUTIONS]
    table = _split_table("funnel-by-institution", _("Funnel by institution"),
                         ["institution_id", "institution"], [_("Institution")], keyed[:CHART_INSTITUTIONS],
                         _("Matches per stage, by the organisation that posted the research result."),
                         names=[orgs[org_id].short_name or names[org_id] for org_id in shown])
    table.rows = [keys + counts for keys, counts in keyed]
    if len(keyed) > CHART_INSTITUTIONS:
        table.note = _("The chart shows the %(n)d institutions with the most suggestions; the table and "
                       "the CSV list all %(total)d.", n=CHART_INSTITUTIONS, total=len(keyed))
    return table


def backlog(figures: Figures) -> Table:
    counts = figures.backlog
    labels = [_("Under 7 days"), _("7 to 30 days"), _("Over 30 days")]
    values = [counts[band] for band in dashboard.AGE_BANDS]
    heading = _("Review backlog by age")
    desc = _("%(total)d suggestions wait for a decision: %(bands)s.", total=counts["total"],
             bands=format_list(f"{label} {value}" for label, value in zip(labels, values, strict=True)))
    chart = charts.bar_chart("chart-backlog", heading, desc, labels, [charts.Series(heading, values)])
    rows = [[band, label, value]
            for band, label, value in zip(dashboard.AGE_BANDS, labels, values, strict=True)]
    return Table("backlog", heading, ["age_band", "age_band_label", "open_suggestions"],
                 [_("Waiting"), _("Open suggestions")], rows, chart)


def decision_time(figures: Figures) -> Table:
    times = figures.decisions
    heading = _("Median days from suggestion to decision")
    desc = _("Median days from suggestion to the reviewer's approval or rejection, by month of the "
             "decision; overall %(days)s over %(n)d decisions.", days=_days(times.median_days), n=times.count)
    months = list(times.by_month)
    series = [charts.Series(_("Median days"), [median for _n, median in times.by_month.values()])]
    chart = charts.line_chart("chart-decision-time", heading, desc, months, series, fmt=_days, unit=_("days"))
    rows = [[month, count, None if median is None else round(median, 2)]
            for month, (count, median) in times.by_month.items()]
    return Table("decision-time", heading, ["month", "decisions", "median_days"],
                 [_("Month"), _("Decisions"), _("Median days")], rows, chart)


BUILDERS: dict[str, Callable[[Figures], Table]] = {
    "funnel": funnel_overall, "funnel-by-month": funnel_by_month, "funnel-by-sector": funnel_by_sector,
    "funnel-by-institution": funnel_by_institution, "backlog": backlog, "decision-time": decision_time,
}
