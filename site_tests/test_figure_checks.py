"""The docs build's checks of each figure (docs/figure_checks.py), on figures drawn here.

The colours a figure's series are told apart by, for normal vision and the
three dichromacies; alt text; text size; the scraper's reST, its escaping and
what it records. The last test builds a copy of the sources with a planted example
whose figures are unfit, and sees the build fail naming each problem.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import matplotlib as mpl
import pytest
from conftest import ROOT

mpl.use("Agg")
import matplotlib.pyplot as plt

sys.path.insert(0, str(ROOT / "docs"))
import figure_checks
import gallery_hooks
import page_checks
from docutils.core import publish_parts
from sphinx_gallery.scrapers import ImagePathIterator

#: The eight colours of Okabe and Ito's palette, designed for colour-blind readers.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}


@pytest.fixture(autouse=True)
def _gallery_figures():
    """Figures as the gallery draws them (its text size), closed after each test."""
    with mpl.rc_context({"font.size": gallery_hooks.FONT_SIZE}):
        yield
    plt.close("all")


def has(colors: dict, hex_color: str) -> bool:
    return any(c == pytest.approx(rgb(hex_color), abs=1e-3) for c in colors)


def rgb(hex_color: str) -> tuple[float, float, float]:
    return tuple(int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5))


def bars(colors: dict[str, str], **kwargs: object) -> plt.Figure:
    """A bar chart with one labelled bar per colour, and its legend."""
    fig, ax = plt.subplots()
    for i, (label, color) in enumerate(colors.items()):
        ax.bar(i, 1 + i, color=color, label=label, **kwargs)
    ax.legend()
    return fig


# -- the threshold, and the numbers that justify it ---------------------------------------


def test_every_okabe_ito_pair_stays_apart_and_the_closest_is_as_documented() -> None:
    pairs = figure_checks.color_pairs({rgb(c): name for name, c in OKABE_ITO.items()})
    assert len(pairs) == 28
    assert figure_checks.merged_colors(pairs) == []
    closest = min(pairs, key=lambda p: p.closest[1])
    assert {closest.first.split(" (")[0], closest.second.split(" (")[0]} == {
        "orange",
        "reddish purple",
    }
    vision, difference = closest.closest
    assert vision == "tritanopia"
    assert difference == pytest.approx(11.0, abs=0.05)  # MIN_DELTA_E's docstring
    assert difference > figure_checks.MIN_DELTA_E


@pytest.mark.parametrize(
    ("first", "second", "vision", "difference"),
    [
        ("#eb5e7c", "#8c8c8c", "protanopia", 6.2),  # Int Grads' pink and the weights' grey
        ("#eb5e7c", "#49ba81", "deuteranopia", 3.5),  # Int Grads and Feature Ablation
        ("#2a9d55", "#d1495b", "deuteranopia", 1.0),  # the waterfall's green and red
    ],
)
def test_the_merges_readers_reported_fall_under_the_threshold(
    first: str, second: str, vision: str, difference: float
) -> None:
    (pair,) = figure_checks.color_pairs({rgb(first): "a", rgb(second): "b"})
    assert pair.closest[0] == vision
    assert pair.closest[1] == pytest.approx(difference, abs=0.05)
    assert pair.delta_e["normal vision"] > 30  # apart for most readers
    (message,) = figure_checks.merged_colors([pair])
    assert f"only {difference:.1f} apart under {vision}" in message


def test_simulated_dichromacy_keeps_grey_grey_and_changes_red() -> None:
    for vision in figure_checks.VISIONS:
        assert figure_checks.simulate(rgb("#777777"), vision) == pytest.approx(
            rgb("#777777"), abs=0.01
        )
    assert figure_checks.simulate(rgb("#ff0000"), "protanopia") != pytest.approx(
        rgb("#ff0000"), abs=0.1
    )


# -- which colours are a figure's series -----------------------------------------------------


def test_a_legend_gives_the_series_colours_of_bars_lines_and_markers() -> None:
    fig, ax = plt.subplots()
    ax.bar([0], [1], color="#0072B2", label="bars")
    ax.plot([0, 1], [1, 0], color="#D55E00", label="a line")
    ax.plot([0, 1], [0, 1], "o", color="#009E73", label="markers only")
    ax.plot([0, 1], [0, 0], "s", markerfacecolor="none", markeredgecolor="#CC79A7", label="hollow")
    ax.axhline(0.5, color="#999999")  # a reference line: not in the legend, not a series
    ax.legend()
    found = figure_checks.series_colors(fig)
    assert sorted(found.values()) == [
        "legend entry 'a line'",
        "legend entry 'bars'",
        "legend entry 'hollow'",
        "legend entry 'markers only'",
    ]
    assert has(found, "#0072B2")
    assert has(found, "#CC79A7")


def test_translucent_colours_count_as_they_show_over_the_background() -> None:
    fig = bars({"a": "#0072B2"}, alpha=0.5)
    ((color, _),) = figure_checks.series_colors(fig).items()
    assert color == pytest.approx((0.5, 0.7235, 0.849), abs=0.001)


def test_a_figure_legend_counts_and_colour_maps_do_not() -> None:
    fig, (left, right) = plt.subplots(1, 2)
    left.scatter([0, 1, 2], [0, 1, 2], c=[0, 1, 2], cmap="viridis", label="coloured by value")
    right.plot([0, 1], [0, 1], color="#E69F00", label="orange")
    right.plot([0, 1], [1, 0], color="#56B4E9", label="sky blue")
    fig.legend()
    assert sorted(figure_checks.series_colors(fig).values()) == [
        "legend entry 'orange'",
        "legend entry 'sky blue'",
    ]


def test_bars_coloured_one_by_one_count_without_a_legend() -> None:
    fig, ax = plt.subplots()
    ax.bar(range(4), [1, -1, 2, -2], color=["#2a9d55", "#d1495b", "#2a9d55", "#d1495b"])
    found = figure_checks.series_colors(fig)
    assert len(found) == 2
    assert has(found, "#2a9d55")
    assert has(found, "#d1495b")
    pairs = figure_checks.color_pairs(found)
    assert "under deuteranopia" in figure_checks.merged_colors(pairs)[0]


def test_one_colour_for_two_entries_is_one_series_colour() -> None:
    # The same colour in two panels' legends, or two hatched entries: nothing to tell apart.
    fig = bars({"a": "#0072B2", "b": "#0072B2"})
    assert len(figure_checks.series_colors(fig)) == 1


# -- alt text and text size ------------------------------------------------------------------


def test_alt_text_must_say_what_the_figure_shows() -> None:
    name = "sphx_glr_plot_02_model_training_001.png"
    problem = figure_checks.alt_text_problem
    assert "no alt text" in problem(None, name)
    assert "file name" in problem("", name)
    assert "file name" in problem("plot 02 model training", name)
    assert "file name" in problem("sphx_glr_plot_02_model_training_001", name)
    assert "title" in problem("Training loss", name, ["Training loss"])
    assert "title" in problem("Loss, RMSE", name, ["Loss", "RMSE"])
    assert "not a sentence" in problem("A loss curve.", name)
    good = "The training loss of each epoch falls from 15,000 to under 200."
    assert problem(good, name, ["Training loss"]) is None


def test_smallest_text_counts_drawn_text_only() -> None:
    fig, ax = plt.subplots()
    ax.set_xlim(0, 1)
    ax.set_title("title", fontsize=14)
    ax.text(0.5, 0.5, "inside", fontsize=12)
    ax.text(0.5, 0.7, "hidden", fontsize=6, visible=False)
    ax.text(0.5, 0.2, "", fontsize=4)  # no text
    ax.tick_params(labelsize=11.5)
    ax.set_xticks([-1, 0, 1, 2], ["out", "0", "1", "out"], fontsize=11.5)
    ax.set_xlim(0, 1)
    ax.set_yticks([0, 5], ["0", "5"])
    ax.set_yticks([10], ["outside the view"], minor=True, fontsize=3)  # not drawn
    ax.set_ylim(0, 6)
    assert figure_checks.smallest_text_points(fig) == 11.5
    ax.annotate("small", (0.2, 0.2), fontsize=8)
    assert figure_checks.smallest_text_points(fig) == 8
    plt.close(fig)
    assert figure_checks.smallest_text_points(plt.figure()) is None


# -- the scraper -----------------------------------------------------------------------------


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[dict[str, str | None]] = []
        self.links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))


def test_alt_text_is_escaped_in_the_page() -> None:
    alt = 'Bars of "IG" & <DeepLift>\'s shares; the "zero" baseline\'s bars are tallest.'
    rst = figure_checks.image_rst(
        "/docs/auto_examples/images/x_001.png", "/docs", alt, "auto_examples"
    )
    html = publish_parts(rst, writer="html5")["body"]
    parser = _Images()
    parser.feed(html)
    (image,) = parser.images
    assert image["alt"] == alt
    assert set(image) == {"alt", "class", "src"}
    assert parser.links == ["../_images/x_001.png"]


def _scrape(tmp_path: Path) -> tuple[str, ImagePathIterator]:
    src_dir = tmp_path / "docs"
    (src_dir / "auto_examples" / "images").mkdir(parents=True)
    paths = ImagePathIterator(
        src_dir / "auto_examples" / "images" / "sphx_glr_plot_98_demo_{0:03}.png"
    )
    block_vars = {
        "image_path_iterator": paths,
        "src_file": str(tmp_path / "examples" / "plot_98_demo.py"),
        "target_file": str(src_dir / "auto_examples" / "plot_98_demo.py"),
        "example_globals": {},
    }
    gallery_conf = {
        "src_dir": str(src_dir),
        "image_srcset": [],
        "matplotlib_animations": (False, None),
        "compress_images": (),
    }
    return figure_checks.scrape_figures(None, block_vars, gallery_conf), paths


def test_the_scraper_saves_each_figure_under_its_alt_text_with_a_link(tmp_path: Path) -> None:
    figure_checks.take_figures()
    fig = bars({"IG": "#0072B2", "DeepLift": "#D55E00"})
    page_checks.describe(fig, 'Two bars: "IG" lower than DeepLift, which rises twice as high.')
    rst, paths = _scrape(tmp_path)
    assert plt.get_fignums() == []
    assert [Path(p).name for p in paths.paths] == ["sphx_glr_plot_98_demo_001.png"]
    assert Path(paths.paths[0]).read_bytes().startswith(b"\x89PNG")
    assert ".. image:: /auto_examples/images/sphx_glr_plot_98_demo_001.png" in rst
    assert ":target: ../_images/sphx_glr_plot_98_demo_001.png" in rst
    assert ':alt: Two bars: "IG" lower than DeepLift' in rst
    (record,) = figure_checks.take_figures()
    assert record["image"] == "sphx_glr_plot_98_demo_001.png"
    assert record["alt"].startswith('Two bars: "IG"')
    assert (record["width_px"], record["dpi"], record["smallest_text_points"]) == (640, 100.0, 11)
    assert len(record["color_pairs"]) == 1


def test_the_scraper_records_every_problem_of_each_figure(tmp_path: Path) -> None:
    figure_checks.take_figures()
    merged = bars({"Int Grads": "#eb5e7c", "Weights": "#8c8c8c"})
    page_checks.describe(
        merged, "Two bars, Int Grads in pink and the weights in grey, of equal use."
    )
    plt.subplots()  # no alt text
    rst, paths = _scrape(tmp_path)
    assert len(paths) == 2
    assert rst.count(".. image::") == 2
    assert plt.get_fignums() == []  # closed, so that they do not reach the next block
    first, second = figure_checks.take_figures()
    assert first["problems"] == [
        (
            "figure 1 of plot_98_demo.py: legend entry 'Int Grads' (#eb5e7c) and legend entry "
            "'Weights' (#8c8c8c) are only 6.2 apart under protanopia (CAM02-UCS Delta E; at "
            "least 10 needed)"
        )
    ]
    (problem,) = second["problems"]
    assert problem.startswith("figure 2 of plot_98_demo.py: it has no alt text")
    assert figure_checks.figure_problems([first, second]) == [*first["problems"], problem]


# -- in a build ------------------------------------------------------------------------------

NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".nox", ".venv", "_build", "auto_examples", "generated", "__pycache__",
    ".pytest_cache", ".ruff_cache", "*.egg-info", "sg_execution_times.rst", "sg_api_usage.rst",
)  # fmt: skip

PLANTED = '''"""
Planted figures
===============

Two figures the build must refuse: one whose colours merge for a colour-blind
reader, one without alt text.
"""

import matplotlib.pyplot as plt

fig, ax = plt.subplots()
ax.bar(0, 1, color="#eb5e7c", label="Int Grads")
ax.bar(1, 1, color="#8c8c8c", label="Weights")
ax.legend()
other, ax = plt.subplots()
ax.plot([0, 1], [1, 0])
plt.show()

# sphinx_gallery_start_ignore
from page_checks import describe

describe(fig, "Two bars of equal height, Int Grads in pink and the weights in grey.")
# sphinx_gallery_end_ignore
'''


def test_a_figure_in_colours_that_merge_fails_the_build(tmp_path: Path) -> None:
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=NOT_SOURCES)
    (copy / "examples" / "plot_99_planted.py").write_text(PLANTED, encoding="utf-8")
    result = subprocess.run(
        [
            *(sys.executable, "-m", "sphinx", "-n", "-W", "--keep-going", "-T", "-b", "html"),
            *("docs", str(tmp_path / "html")),
            *("-D", "sphinx_gallery_conf.filename_pattern=/plot_99_"),  # run only this one
        ],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert (
        "ERROR: figure 1 of plot_99_planted.py: legend entry 'Int Grads' (#eb5e7c) and "
        "legend entry 'Weights' (#8c8c8c) are only 6.2 apart under protanopia"
    ) in out, out[-3000:]
    assert "ERROR: figure 2 of plot_99_planted.py: it has no alt text" in out, out[-3000:]
