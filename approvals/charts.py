"""Server-rendered SVG bar charts for the supervisor's pages: no JavaScript, no libraries.

Every piece of text is escaped here, so the result is returned marked safe for
templates (`{{ chart }}`). The charts are accessible images: `role="img"`,
labelled by their `<title>` and described by a `<desc>` that lists every value,
with the labels and values also drawn as text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from html import escape

from django.utils.safestring import mark_safe

NO_DATA = "Sin datos"

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
BAR_COLOUR = "#0072B2"
TEXT_COLOUR = "#222222"
AXIS_COLOUR = "#888888"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

_TITLE_HEIGHT = 28
_LEGEND_ROW = 18
_LABEL_HEIGHT = 22
_VALUE_HEIGHT = 16
_SIDE = 8
_CHAR_WIDTH = 6.5  # rough width of a 11px character, to shorten long labels
# Characters XML 1.0 does not allow, even escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: object) -> str:
    return escape(_XML_INVALID.sub("", str(value)), quote=True)


def _fit(label: str, width: float) -> str:
    """The label shortened with an ellipsis to roughly `width` pixels."""
    limit = max(3, int(width / _CHAR_WIDTH))
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _chart_id(*parts: object) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:10]
    return f"grafico-{digest}"


def _open(width: int, height: int, chart_id: str, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="{_text(FONT)}" font-size="11" fill="{TEXT_COLOUR}">',
        f'<title id="{chart_id}-title">{_text(title)}</title>',
        f'<desc id="{chart_id}-desc">{_text(desc)}</desc>',
        f'<text class="chart-title" x="{width / 2:g}" y="18" text-anchor="middle" '
        f'font-size="13" font-weight="bold">{_text(title)}</text>',
    ]


def _no_data(parts: list[str], width: int, height: int) -> str:
    parts.append(
        f'<text class="no-data" x="{width / 2:g}" y="{(height + _TITLE_HEIGHT) / 2:g}" '
        f'text-anchor="middle" font-size="14">{NO_DATA}</text>'
    )
    parts.append("</svg>")
    return mark_safe("\n".join(parts))  # noqa: S308 - every text above is escaped


def _check_counts(values: Sequence[int]) -> None:
    if any(value < 0 for value in values):
        raise ValueError("Bar charts show counts; negative values are not allowed.")


def bar_chart_svg(
    series: Sequence[tuple[str, int]], *, title: str, width: int = 640, height: int = 240
) -> str:
    """One bar per (label, value), heights proportional to the values, zero at the bottom."""
    values = [value for _, value in series]
    _check_counts(values)
    desc = "; ".join(f"{label}: {value}" for label, value in series) or NO_DATA
    chart_id = _chart_id("bar", title, tuple(series), width, height)
    parts = _open(width, height, chart_id, title, desc)
    if not series:
        return _no_data(parts, width, height)

    top = _TITLE_HEIGHT + _VALUE_HEIGHT
    baseline = height - _LABEL_HEIGHT
    plot_height = max(baseline - top, 1)
    slot = (width - 2 * _SIDE) / len(series)
    bar_width = slot * 0.7
    highest = max(values)
    for index, (label, value) in enumerate(series):
        bar_height = plot_height * value / highest if highest else 0.0
        x = _SIDE + slot * index + (slot - bar_width) / 2
        centre = x + bar_width / 2
        y = baseline - bar_height
        parts.append(
            f'<g class="bar-group"><title>{_text(label)}: {value}</title>'
            f'<rect class="bar" x="{_num(x)}" y="{_num(y)}" width="{_num(bar_width)}" '
            f'height="{_num(bar_height)}" fill="{BAR_COLOUR}" data-value="{value}"/>'
            f'<text class="value" x="{_num(centre)}" y="{_num(y - 4)}" '
            f'text-anchor="middle">{value}</text>'
            f'<text class="label" x="{_num(centre)}" y="{_num(baseline + 15)}" '
            f'text-anchor="middle">{_text(_fit(label, slot))}</text></g>'
        )
    parts.append(_axis(width, baseline))
    parts.append("</svg>")
    return mark_safe("\n".join(parts))  # noqa: S308 - every text above is escaped


def grouped_bar_chart_svg(
    categories: Sequence[str],
    groups: Mapping[str, Sequence[int]],
    *,
    title: str,
    width: int = 640,
    height: int = 240,
) -> str:
    """A cluster of bars per category, one colour per group, with a legend.

    For "decisions per reviewer per day": categories are the days, groups the
    reviewers, `groups[reviewer][i]` the count for `categories[i]`.
    """
    for name, values in groups.items():
        if len(values) != len(categories):
            raise ValueError(f"Group {name!r} has {len(values)} values for {len(categories)} days.")
        _check_counts(values)
    names = list(groups)
    desc = (
        ". ".join(
            f"{category}: " + ", ".join(f"{name} {groups[name][i]}" for name in names)
            for i, category in enumerate(categories)
        )
        if categories and names
        else NO_DATA
    )
    chart_id = _chart_id("grouped", title, tuple(categories), tuple(groups.items()), width, height)
    parts = _open(width, height, chart_id, title, desc)
    if not categories or not names:
        return _no_data(parts, width, height)

    legend_rows = _legend(parts, names, width)
    top = _TITLE_HEIGHT + legend_rows * _LEGEND_ROW + _VALUE_HEIGHT
    baseline = height - _LABEL_HEIGHT
    plot_height = max(baseline - top, 1)
    slot = (width - 2 * _SIDE) / len(categories)
    bar_width = slot * 0.8 / len(names)
    highest = max((max(values) for values in groups.values()), default=0)
    for index, category in enumerate(categories):
        cluster_x = _SIDE + slot * index + slot * 0.1
        parts.append(f'<g class="category" data-category="{_text(category)}">')
        for position, name in enumerate(names):
            value = groups[name][index]
            bar_height = plot_height * value / highest if highest else 0.0
            x = cluster_x + bar_width * position
            y = baseline - bar_height
            parts.append(
                f'<g class="bar-group"><title>{_text(category)}, {_text(name)}: {value}</title>'
                f'<rect class="bar" x="{_num(x)}" y="{_num(y)}" width="{_num(bar_width)}" '
                f'height="{_num(bar_height)}" fill="{PALETTE[position % len(PALETTE)]}" '
                f'data-group="{_text(name)}" data-value="{value}"/>'
                f'<text class="value" x="{_num(x + bar_width / 2)}" y="{_num(y - 3)}" '
                f'text-anchor="middle" font-size="9">{value}</text></g>'
            )
        parts.append(
            f'<text class="label" x="{_num(_SIDE + slot * (index + 0.5))}" '
            f'y="{_num(baseline + 15)}" text-anchor="middle">'
            f"{_text(_fit(category, slot))}</text></g>"
        )
    parts.append(_axis(width, baseline))
    parts.append("</svg>")
    return mark_safe("\n".join(parts))  # noqa: S308 - every text above is escaped


def _axis(width: int, baseline: float) -> str:
    return (
        f'<line class="axis" x1="{_SIDE}" y1="{_num(baseline)}" x2="{width - _SIDE}" '
        f'y2="{_num(baseline)}" stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    )


def _legend(parts: list[str], names: Sequence[str], width: int) -> int:
    """Swatch and name per group, wrapped into rows under the title; returns the row count."""
    parts.append('<g class="legend">')
    x, row = float(_SIDE), 0
    for position, name in enumerate(names):
        shown = _fit(name, 160)
        item_width = 16 + len(shown) * _CHAR_WIDTH + 14
        if x + item_width > width - _SIDE and x > _SIDE:
            x, row = float(_SIDE), row + 1
        y = _TITLE_HEIGHT + row * _LEGEND_ROW
        parts.append(
            f'<g class="legend-item"><rect x="{_num(x)}" y="{_num(y)}" width="12" height="12" '
            f'fill="{PALETTE[position % len(PALETTE)]}"/>'
            f'<text x="{_num(x + 16)}" y="{_num(y + 10)}">{_text(shown)}</text></g>'
        )
        x += item_width
    parts.append("</g>")
    return row + 1
