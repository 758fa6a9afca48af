"""The server-drawn charts: valid SVG, points where the numbers say, gaps for days without data,
every text escaped, no script and nothing fetched from elsewhere."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from dashboard.charts import (
    BOTTOM,
    HEIGHT,
    LABEL_WIDTH,
    TOP,
    WIDTH,
    Interval,
    Series,
    bar_chart,
    interval_chart,
    line_chart,
    nice_ceiling,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [(0, 1), (1, 1), (4, 4), (7, 8), (12, 20), (25, 40), (30, 40), (0.3, 0.4), (480, 800)],
)
def test_the_axis_ends_where_four_round_steps_reach_the_largest_value(value, ceiling) -> None:
    assert nice_ceiling(value) == pytest.approx(ceiling)


def test_a_line_chart_puts_one_point_per_known_value_at_its_height() -> None:
    chart = parse(line_chart([Series("layer 1", [0, 4, 8])], ["a", "b", "c"], title="Backlog"))

    points = chart.findall(f"{SVG}circle")
    heights = [float(point.get("cy")) for point in points]
    assert len(points) == 3
    assert heights[0] == pytest.approx(HEIGHT - BOTTOM)  # zero sits on the axis
    assert heights[2] == pytest.approx(TOP)  # the largest value touches the top (8 = 4 steps of 2)
    assert [point.find(f"{SVG}title").text for point in points] == [
        "layer 1, a: 0",
        "layer 1, b: 4",
        "layer 1, c: 8",
    ]


def test_a_day_without_data_is_a_gap_not_a_zero() -> None:
    chart = parse(
        line_chart([Series("rate", [0.5, None, 0.75, 1.0])], list("abcd"), title="Rate", ceiling=1.0)
    )

    assert len(chart.findall(f"{SVG}circle")) == 3
    [line] = chart.findall(f"{SVG}polyline")  # the lone first point has no line to draw
    assert len(line.get("points").split()) == 2


def test_stacked_bars_add_up_to_the_days_total() -> None:
    chart = parse(
        bar_chart([Series("approved", [3, 0]), Series("rejected", [1, 2])], ["mon", "tue"], title="Decisions")
    )

    bars = chart.findall(f"{SVG}rect[@class='bar']")
    assert [bar.find(f"{SVG}title").text for bar in bars] == [
        "approved, mon: 3",
        "rejected, mon: 1",
        "rejected, tue: 2",
    ]
    monday = [bar for bar in bars if "mon" in bar.find(f"{SVG}title").text]
    top = min(float(bar.get("y")) for bar in monday)
    assert top == pytest.approx(TOP)  # 3 + 1 = 4 is the axis' top (four steps of 1)


def test_every_text_is_escaped_and_nothing_runs_or_loads() -> None:
    markup = str(line_chart([Series("<script>x</script>", [1, 2])], ["<b>", "&"], title='"quoted" & <odd>'))

    parse(markup)  # well-formed
    assert "<script" not in markup
    assert "&lt;script&gt;" in markup
    assert "http" not in markup.replace("http://www.w3.org/2000/svg", "")


def test_an_interval_chart_draws_each_row_at_its_value_across_its_interval() -> None:
    rows = [Interval("atlas <70b>", 1100, 1050, 1150), Interval("corvid", 900, 850, 950)]

    chart = parse(interval_chart(rows, title="Ratings", reference=1000))

    points = chart.findall(f"{SVG}circle")
    bars = chart.findall(f"{SVG}line[@class='interval']")
    (reference,) = chart.findall(f"{SVG}line[@class='reference']")
    assert [p.find(f"{SVG}title").text for p in points] == [
        "atlas <70b>: 1100 (1050 to 1150)",
        "corvid: 900 (850 to 950)",
    ]
    assert float(points[0].get("cy")) < float(points[1].get("cy"))  # in the order given, top down
    for point, bar in zip(points, bars, strict=True):
        assert float(bar.get("x1")) < float(point.get("cx")) < float(bar.get("x2"))
        assert bar.get("y1") == point.get("cy")
    assert float(bars[1].get("x2")) < float(reference.get("x1")) < float(bars[0].get("x1"))
    assert float(bars[1].get("x1")) >= LABEL_WIDTH
    assert float(bars[0].get("x2")) <= WIDTH


def test_an_interval_chart_of_nothing_is_still_valid_svg() -> None:
    assert parse(interval_chart([], title="Nothing")).findall(f"{SVG}circle") == []
