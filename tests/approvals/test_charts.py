"""Supervisor charts (approvals.charts): well-formed, accessible, proportional, escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.utils.safestring import SafeString

from approvals.charts import NO_DATA, bar_chart_svg, grouped_bar_chart_svg

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, under test


def bars(root: ET.Element) -> list[ET.Element]:
    return [rect for rect in root.iterfind(".//svg:rect", NS) if rect.get("class") == "bar"]


def texts(root: ET.Element, cls: str) -> list[str]:
    return [t.text or "" for t in root.iterfind(".//svg:text", NS) if t.get("class") == cls]


def height(rect: ET.Element) -> float:
    return float(rect.get("height", "nan"))


# --- bar_chart_svg -----------------------------------------------------------------


def test_bar_chart_is_an_accessible_image() -> None:
    root = parse(bar_chart_svg([("Lunes", 3)], title="Decisiones por día"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert title is not None and title.text == "Decisiones por día"
    assert desc is not None and desc.text == "Lunes: 3"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_one_bar_per_item_with_its_label_and_value() -> None:
    root = parse(bar_chart_svg([("Lun", 4), ("Mar", 8), ("Mié", 2)], title="Semana"))
    assert len(bars(root)) == 3
    assert texts(root, "label") == ["Lun", "Mar", "Mié"]
    assert texts(root, "value") == ["4", "8", "2"]


def test_bar_heights_are_proportional_to_values() -> None:
    root = parse(bar_chart_svg([("a", 10), ("b", 5), ("c", 0), ("d", 2)], title="t"))
    first, second, third, fourth = (height(rect) for rect in bars(root))
    assert first > 0
    assert second == pytest.approx(first / 2, rel=1e-3)
    assert third == 0
    assert fourth == pytest.approx(first / 5, rel=1e-3)


def test_bars_stand_on_a_common_baseline_inside_the_canvas() -> None:
    root = parse(bar_chart_svg([("a", 7), ("b", 3)], title="t", width=300, height=200))
    bottoms = {round(float(r.get("y", "0")) + height(r), 2) for r in bars(root)}
    assert len(bottoms) == 1
    for rect in bars(root):
        assert float(rect.get("x", "-1")) >= 0
        assert float(rect.get("x", "0")) + float(rect.get("width", "0")) <= 300
        assert float(rect.get("y", "-1")) >= 0
    assert bottoms.pop() <= 200


def test_all_zero_values_draw_flat_bars() -> None:
    root = parse(bar_chart_svg([("a", 0), ("b", 0)], title="t"))
    assert [height(r) for r in bars(root)] == [0, 0]


def test_labels_and_title_are_escaped() -> None:
    svg = bar_chart_svg([("<script>alert(1)</script>", 1)], title='Título "<b>" & más')
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)  # still well-formed XML
    title = root.find("svg:title", NS)
    assert title is not None and title.text == 'Título "<b>" & más'
    assert root.find(".//svg:script", NS) is None
    assert root.find(".//svg:b", NS) is None


def test_control_characters_do_not_break_the_xml() -> None:
    root = parse(bar_chart_svg([("a\x00b\x1fc", 1)], title="t\x0b"))
    assert texts(root, "label") == ["abc"]


def test_long_labels_are_shortened_but_kept_whole_in_the_tooltip() -> None:
    label = "REVISOR CON UN NOMBRE MUY LARGO " * 3
    root = parse(bar_chart_svg([(label, 1)] * 10, title="t"))
    shown = texts(root, "label")[0]
    assert shown.endswith("…") and len(shown) < len(label)
    tooltips = [t.text for t in root.iterfind(".//svg:g/svg:title", NS)]
    assert tooltips[0] == f"{label}: 1"


def test_empty_series_says_there_is_no_data() -> None:
    root = parse(bar_chart_svg([], title="Decisiones"))
    assert bars(root) == []
    assert texts(root, "no-data") == [NO_DATA]
    desc = root.find("svg:desc", NS)
    assert desc is not None and desc.text == "Sin datos"


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        bar_chart_svg([("a", -1)], title="t")


def test_result_is_safe_for_templates() -> None:
    assert isinstance(bar_chart_svg([("a", 1)], title="t"), SafeString)


def test_charts_with_different_content_get_different_ids() -> None:
    one = parse(bar_chart_svg([("a", 1)], title="uno")).find("svg:title", NS)
    two = parse(bar_chart_svg([("a", 1)], title="dos")).find("svg:title", NS)
    assert one is not None and two is not None
    assert one.get("id") != two.get("id")


# --- grouped_bar_chart_svg ---------------------------------------------------------------

DAYS = ["23/11", "24/11", "25/11"]
REVIEWERS = {"revisor1": [4, 0, 6], "revisor2": [2, 3, 12]}


def test_grouped_chart_draws_one_bar_per_reviewer_per_day() -> None:
    root = parse(grouped_bar_chart_svg(DAYS, REVIEWERS, title="Decisiones por revisor"))
    assert root.get("role") == "img"
    assert len(bars(root)) == 6
    assert texts(root, "label") == DAYS
    assert [r.get("data-group") for r in bars(root)] == ["revisor1", "revisor2"] * 3


def test_grouped_heights_share_one_scale() -> None:
    root = parse(grouped_bar_chart_svg(DAYS, REVIEWERS, title="t"))
    by_value = {int(r.get("data-value", "-1")): height(r) for r in bars(root)}
    assert by_value[0] == 0
    assert by_value[6] == pytest.approx(by_value[12] / 2, rel=1e-3)
    assert by_value[3] == pytest.approx(by_value[12] / 4, rel=1e-3)
    assert by_value[2] == pytest.approx(by_value[4] / 2, rel=1e-3)


def test_each_reviewer_has_one_colour_and_a_legend_entry() -> None:
    root = parse(grouped_bar_chart_svg(DAYS, REVIEWERS, title="t"))
    colours = {r.get("data-group"): {r.get("fill")} for r in bars(root)}
    for rect in bars(root):
        colours[rect.get("data-group")].add(rect.get("fill"))
    assert all(len(c) == 1 for c in colours.values())
    assert colours["revisor1"] != colours["revisor2"]
    legend = root.find(".//svg:g[@class='legend']", NS)
    assert legend is not None
    assert [t.text for t in legend.iterfind(".//svg:text", NS)] == ["revisor1", "revisor2"]
    swatches = [r.get("fill") for r in legend.iterfind(".//svg:rect", NS)]
    assert swatches == [colours["revisor1"].pop(), colours["revisor2"].pop()]


def test_grouped_description_lists_every_value() -> None:
    root = parse(grouped_bar_chart_svg(DAYS, REVIEWERS, title="t"))
    desc = root.find("svg:desc", NS)
    assert desc is not None
    assert desc.text == (
        "23/11: revisor1 4, revisor2 2. 24/11: revisor1 0, revisor2 3. "
        "25/11: revisor1 6, revisor2 12"
    )


def test_grouped_chart_escapes_reviewer_names_and_days() -> None:
    svg = grouped_bar_chart_svg(["<script>"], {"<script>alert(1)</script>": [1]}, title="t")
    assert "<script>" not in svg
    root = parse(svg)
    assert root.find(".//svg:script", NS) is None
    assert bars(root)[0].get("data-group") == "<script>alert(1)</script>"


def test_many_reviewers_wrap_the_legend_inside_the_canvas() -> None:
    groups = {f"revisor numero {n}": [n] for n in range(12)}
    root = parse(grouped_bar_chart_svg(["hoy"], groups, title="t", width=400, height=300))
    swatches = list(root.iterfind(".//svg:g[@class='legend']//svg:rect", NS))
    assert len(swatches) == 12
    assert len({s.get("y") for s in swatches}) > 1
    assert all(float(s.get("x", "0")) + 12 <= 400 for s in swatches)
    assert len(bars(root)) == 12


@pytest.mark.parametrize(
    ("categories", "groups"), [([], {"revisor1": []}), (["23/11"], {}), ([], {})]
)
def test_grouped_chart_without_data_says_so(
    categories: list[str], groups: dict[str, list[int]]
) -> None:
    root = parse(grouped_bar_chart_svg(categories, groups, title="t"))
    assert bars(root) == []
    assert texts(root, "no-data") == [NO_DATA]


def test_grouped_chart_refuses_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="revisor1"):
        grouped_bar_chart_svg(DAYS, {"revisor1": [1, 2]}, title="t")
