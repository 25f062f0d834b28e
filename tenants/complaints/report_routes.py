"""Complaint report pages: a centre's own (`/c/<slug>/reports`, its staff only) and the pieces the awarding
body's report (portal/admin/reports.py) shares: the period form, the CSV download and the chart.

The counting is in tenants/complaints/reports.py. The page is a GET form; htmx swaps only the report
(`portal.web.render`), and a plain load or Back gets the full page.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, current_app, g, make_response, request, url_for
from flask_wtf import FlaskForm
from wtforms import MonthField
from wtforms.validators import Optional, ValidationError

from portal.db import utcnow
from portal.web import render
from tenants.complaints import reports
from tenants.complaints.report_period import DEFAULT_MONTHS, MAX_MONTHS, Month, Period
from tenants.complaints.reports import Report, Scope
from tenants.complaints.retention import retention_cutoff
from tenants.context import require_member

bp = Blueprint("reports", __name__)
bp.before_request(require_member)


# --- the period form -------------------------------------------------------------------------------------

BAD_MONTH = "Enter the month as year and month, like 2026-05."
FIRST_YEAR, LAST_YEAR = 2000, 2100  # keeps month arithmetic (and London midnights) well inside datetime's range


class ReportFilterForm(FlaskForm):
    """GET filters of a report (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    start = MonthField("From (month received)", validators=[Optional()], description="Year and month, like 2025-06",
                       invalid_value_message=BAD_MONTH)
    end = MonthField("To (month received)", validators=[Optional()], description="Year and month, like 2026-05",
                     invalid_value_message=BAD_MONTH)

    def validate_start(self, field) -> None:
        if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
            raise ValidationError(f"Enter a month from {FIRST_YEAR} to {LAST_YEAR}.")

    def validate_end(self, field) -> None:
        self.validate_start(field)
        if self.start.data and field.data and not self.start.errors:
            if field.data < self.start.data:
                raise ValidationError("The last month must be the same as or after the first month.")
            if Month.parse(field.data) - Month.parse(self.start.data) >= MAX_MONTHS:
                raise ValidationError(f"A report can cover up to {MAX_MONTHS} months.")


def period_of(form: ReportFilterForm, now: datetime) -> Period:
    """The period the form asks for (the last 12 months when it asks for none, or asks wrongly).

    Given only a first month, the report runs to this month; given only a last, it covers 12 months to it.
    The form then shows the months used, so the page always says what it counts.
    """
    period = Period.default(now)
    if form.validate():
        first = Month.parse(form.start.data) if form.start.data else None
        last = Month.parse(form.end.data) if form.end.data else None
        if first and not last:
            last = min(max(first, Month.of(now)), first.plus(MAX_MONTHS - 1))
        elif last and not first:
            first = last.plus(1 - DEFAULT_MONTHS)
        if first and last:
            period = Period(first, last)
        for field, month in ((form.start, period.first), (form.end, period.last)):
            field.data, field.raw_data = month.first_day, [month.iso]
    return period


def period_args(period: Period, **more) -> dict:
    return {"start": period.first.iso, "end": period.last.iso, **{k: v for k, v in more.items() if v}}


# --- the chart -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    label: str
    sublabel: str
    value: int
    x: float
    y: float
    width: float
    height: float
    show_label: bool

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 2)


@dataclass(frozen=True)
class BarChart:
    """A vertical bar chart drawn by the server as SVG: geometry only, so the template needs no arithmetic."""

    width: int
    height: int
    plot_top: int
    plot_bottom: int
    plot_left: int
    plot_right: int
    bars: list[Bar]
    ticks: list[tuple[int, float]]  # (value, y) of each horizontal grid line
    show_values: bool


def _tick_step(top: int) -> int:
    """A round step giving at most five grid lines above zero."""
    step = 1
    while True:
        for multiple in (1, 2, 5):
            if top <= step * multiple * 5:
                return step * multiple
        step *= 10


def month_chart(report: Report) -> BarChart:
    """Complaints received per month of the report's period."""
    return _by_month([(month, tally.received) for month, tally in report.by_month])


def on_time_chart(report: Report) -> BarChart:
    """The share of each month's resolved complaints resolved within target, in percent (0 with none resolved:
    the table beside it says "–")."""
    return _by_month([(month, tally.on_time_share.percent or 0) for month, tally in report.by_month], top=100)


def _by_month(values: list, *, top: int | None = None) -> BarChart:
    width, height, left, right, top_margin, bottom = 720, 260, 44, 12, 16, 44
    plot_bottom, plot_right = height - bottom, width - right
    step = _tick_step(top or max([v for _, v in values] + [1]))
    scale_top = top or step * -(-max([v for _, v in values] + [1]) // step)
    top = top_margin
    slot = (plot_right - left) / len(values)
    every = -(-len(values) // 12)  # label at most 12 months
    bars = []
    for i, (month, value) in enumerate(values):
        bar_height = (plot_bottom - top) * value / scale_top
        name, year = month.label.split()
        bars.append(Bar(label=name, sublabel=year if i == 0 or month.month == 1 else "", value=value,
                        x=round(left + i * slot + slot * 0.15, 2), y=round(plot_bottom - bar_height, 2),
                        width=round(slot * 0.7, 2), height=round(bar_height, 2), show_label=i % every == 0))
    ticks = [(v, round(plot_bottom - (plot_bottom - top) * v / scale_top, 2)) for v in range(0, scale_top + 1, step)]
    return BarChart(width=width, height=height, plot_top=top, plot_bottom=plot_bottom, plot_left=left,
                    plot_right=plot_right, bars=bars, ticks=ticks, show_values=len(values) <= 24)


# --- the CSV download ------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet will not run: text starting like a formula gets a leading apostrophe (OWASP)."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def csv_response(rows: list[tuple[str, ...]], filename: str):
    """A UTF-8 CSV download (with a byte-order mark, so Excel reads names with accents correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(reports.CSV_HEADER)
    writer.writerows([spreadsheet_safe(value) for value in row] for row in rows)
    response = make_response("\ufeff" + buffer.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"  # case references: not for shared caches
    return response


def report_context(report: Report, form: ReportFilterForm, *, report_url: str, csv_url: str) -> dict:
    """What templates/reports/_report.html needs, for either side."""
    years = current_app.config["COMPLAINT_RETENTION_YEARS"]
    kept_since = retention_cutoff(report.at)
    return {"report": report, "form": form, "chart": month_chart(report), "report_url": report_url, "csv_url": csv_url,
            "retention_years": years, "kept_since": kept_since,
            "before_retention": report.period.starts < kept_since}


# --- the centre's pages ----------------------------------------------------------------------------------

@bp.get("/reports")
def index():
    form = ReportFilterForm(request.args)
    now = utcnow()
    period = period_of(form, now)
    report = reports.compute(Scope.current_centre(), period, now)
    context = report_context(report, form, report_url=url_for("centre.reports.index"),
                             csv_url=url_for("centre.reports.export", **period_args(period)))
    return render("reports/centre.html", "reports/_report.html", centre=g.centre, **context)


@bp.get("/reports.csv")
def export():
    now = utcnow()
    period = period_of(ReportFilterForm(request.args), now)
    rows = reports.case_rows(Scope.current_centre(), period)
    return csv_response(rows, f"complaints-{g.centre.slug}-{period.first.iso}-to-{period.last.iso}.csv")
