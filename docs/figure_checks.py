"""What the docs build requires of every figure an example draws, and the image scraper that asks it.

sphinx-gallery hands each code block's open figures to :func:`scrape_figures`
(``image_scrapers`` in ``conf.py``), which measures each one before
sphinx-gallery's own ``matplotlib_scraper`` saves it. The build fails
(``gallery_hooks``) for a figure that breaks one of these rules:

* **Alt text**: one sentence on what the figure shows, given by the example with
  ``page_checks.describe(fig, "...")``; not empty, not the image's file name,
  not the figure's titles (:func:`alt_text_problem`).
* **Colour**: every pair of series colours (legend entries, and bars coloured one
  by one) stays at least :data:`MIN_DELTA_E` apart in CAM02-UCS for normal
  vision and under simulated protanopia, deuteranopia and tritanopia
  (:func:`merged_colors`). Colour-mapped points and images are not series.
* **Text**: no text smaller than :data:`MIN_TEXT_POINTS`.

The page shows each figure as a standard image with that alt text (docutils
escapes it), linked to the full-size file. What was measured is kept
(:func:`take_figures`) for the example's run record, from which the browser
tests check the page. Nothing here imports Sphinx, sphinx-gallery or
colorspacious at import time, so that the test suite can check it alone.
"""

from __future__ import annotations

import itertools
import posixpath
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import page_checks

#: Smallest colour difference allowed between two series of a figure, in CAM02-UCS
#: Delta E (Luo, Cui and Li 2006), for normal vision and for each simulated
#: dichromacy. 1 unit is about a just-noticeable difference between two large
#: patches side by side; telling a thin line or a legend swatch from another
#: across a figure takes several times that. 10 separates every pair of the eight
#: Okabe-Ito colours, the palette designed with and for colour-blind readers (its
#: closest pair, orange and reddish purple under tritanopia, is 11.0 apart), and
#: fails each merge that readers reported in the old figures: integrated
#: gradients' pink and the weights' grey under protanopia (6.2), integrated
#: gradients and feature ablation under deuteranopia (3.5), the waterfall's red and
#: green under deuteranopia (1.0).
MIN_DELTA_E = 10.0

#: The colour visions a figure is checked for: name, and colorspacious's model
#: (Machado, Oliveira and Fernandes 2009; severity 100 is the dichromacy).
VISIONS = {
    "normal vision": None,
    "protanopia": "protanomaly",
    "deuteranopia": "deuteranomaly",
    "tritanopia": "tritanomaly",
}

#: Smallest text a figure may hold, in points. At the gallery's 100 dpi that is
#: 15.3 pixels in the full-size image; the browser tests check that the page shows
#: it no smaller than the page's own small print.
MIN_TEXT_POINTS = 11.0

#: Fewest words in an alt text: a sentence, not a label.
MIN_ALT_WORDS = 6


# -- alt text -----------------------------------------------------------------------------


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def figure_titles(figure: Any) -> list[str]:
    """The figure's suptitle and its axes' titles, as sphinx-gallery would use them for alt text."""
    titles = []
    if getattr(figure, "_suptitle", None) is not None:
        titles.append(figure._suptitle.get_text())
    for ax in figure.axes:
        titles += [t for loc in ("left", "center", "right") if (t := ax.get_title(loc=loc))]
    return [t for t in titles if t.strip()]


def alt_text_problem(alt: str | None, image_name: str, titles: Iterable[str] = ()) -> str | None:
    """What is wrong with a figure's alt text, if anything.

    Parameters
    ----------
    alt : str or None
        The alt text set with ``page_checks.describe``, None if none was.
    image_name : str
        The image's file name, such as ``sphx_glr_plot_02_model_training_001.png``.
    titles : iterable of str
        The figure's titles (:func:`figure_titles`).
    """
    if alt is None:
        return (
            'it has no alt text: describe it in one sentence, page_checks.describe(fig, "..."), '
            "in a hidden block after drawing it"
        )
    words = _words(alt)
    stem = Path(image_name).stem
    short = stem.removeprefix("sphx_glr_")
    names = {_words(n) for n in (stem, short, re.sub(r"_\d+$", "", short))}
    if not words or words in names:
        return f"its alt text {alt!r} is its file name, not what it shows"
    titles = [_words(t) for t in titles]
    if words in titles or words == " ".join(titles):
        return f"its alt text {alt!r} is its title, not what it shows"
    if len(words.split()) < MIN_ALT_WORDS:
        return (
            f"its alt text {alt!r} is a label, not a sentence on what it shows "
            f"(at least {MIN_ALT_WORDS} words)"
        )
    return None


# -- colour -------------------------------------------------------------------------------


def _blend(rgba: Iterable[float], background: Iterable[float]) -> tuple[float, float, float]:
    """The colour a translucent one looks like over the background."""
    r, g, b, a = rgba
    mixed = (c * a + bg * (1 - a) for c, bg in zip((r, g, b), background, strict=True))
    return tuple(round(c, 4) for c in mixed)  # type: ignore[return-value]


def _handle_rgba(handle: Any) -> tuple[float, ...] | None:
    """The colour a legend handle shows, or None for one that is not a series colour."""
    from matplotlib.collections import Collection
    from matplotlib.colors import to_rgba
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if isinstance(handle, Line2D):
        if handle.get_linestyle() not in {"None", "none", "", " "} and handle.get_linewidth():
            return to_rgba(handle.get_color(), handle.get_alpha())
        face = to_rgba(handle.get_markerfacecolor(), handle.get_alpha())
        return face if face[3] > 0 else to_rgba(handle.get_markeredgecolor(), handle.get_alpha())
    if isinstance(handle, Patch):
        face = handle.get_facecolor()
        return tuple(face) if handle.get_fill() and face[3] > 0 else tuple(handle.get_edgecolor())
    if isinstance(handle, Collection):
        if handle.get_array() is not None:
            return None  # colour-mapped: a scale, not series
        colors = handle.get_facecolor()
        if len(colors) == 0 or colors[0][3] == 0:
            colors = handle.get_edgecolor()
        return tuple(colors[0]) if len(colors) else None
    return None


def series_colors(figure: Any) -> dict[tuple[float, float, float], str]:
    """The colours that tell a figure's series apart, each with what it stands for.

    The entries of every legend (of the axes and of the figure), and the bars of
    a bar chart coloured one by one (by sign, say), each colour as it shows over
    the axes' background. Colour-mapped points and images are scales, not series.
    """
    from matplotlib.colors import to_rgba
    from matplotlib.container import BarContainer

    found: dict[tuple[float, float, float], str] = {}
    background = to_rgba(figure.get_facecolor())[:3]
    legends = [ax.get_legend() for ax in figure.axes] + list(figure.legends)
    for legend in filter(None, legends):
        texts = [t.get_text() for t in legend.get_texts()]
        for handle, text in zip(legend.legend_handles, texts, strict=True):
            rgba = _handle_rgba(handle)
            if rgba is not None and rgba[3] > 0:
                found.setdefault(_blend(rgba, background), f"legend entry {text!r}")
    for ax in figure.axes:
        face = to_rgba(ax.get_facecolor())
        behind = _blend(face, background)
        for container in ax.containers:
            if not isinstance(container, BarContainer):
                continue
            colors = {_blend(p.get_facecolor(), behind) for p in container.patches}
            if len(colors) > 1:
                for color in sorted(colors):
                    found.setdefault(color, f"bars of {_hex(color)}")
    return found


def _hex(rgb: Iterable[float]) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def simulate(rgb: Iterable[float], vision: str) -> Any:
    """A colour as seen with a colour vision (a key of :data:`VISIONS`), in sRGB in [0, 1]."""
    import numpy as np
    from colorspacious import cspace_convert

    rgb = np.asarray(list(rgb), dtype=float)
    if VISIONS[vision] is None:
        return rgb
    space = {"name": "sRGB1+CVD", "cvd_type": VISIONS[vision], "severity": 100}
    return np.clip(cspace_convert(rgb, space, "sRGB1"), 0, 1)


def delta_e(first: Iterable[float], second: Iterable[float], vision: str) -> float:
    """CAM02-UCS colour difference of two sRGB colours as seen with the given vision."""
    from colorspacious import deltaE

    return float(deltaE(simulate(first, vision), simulate(second, vision), input_space="sRGB1"))


@dataclass
class ColorPair:
    """Two series colours of a figure, and how far apart each vision sees them."""

    first: str
    second: str
    delta_e: dict[str, float]

    @property
    def closest(self) -> tuple[str, float]:
        """The vision that sees them closest, and their difference there."""
        vision = min(self.delta_e, key=self.delta_e.get)
        return vision, self.delta_e[vision]


def color_pairs(colors: dict[tuple[float, float, float], str]) -> list[ColorPair]:
    """Every pair of distinct colours (in their order), with its difference under each vision."""
    return [
        ColorPair(
            f"{colors[a]} ({_hex(a)})",
            f"{colors[b]} ({_hex(b)})",
            {vision: round(delta_e(a, b, vision), 2) for vision in VISIONS},
        )
        for a, b in itertools.combinations(colors, 2)  # in legend order
    ]


def merged_colors(pairs: Iterable[ColorPair], threshold: float = MIN_DELTA_E) -> list[str]:
    """The pairs some reader cannot tell apart, one sentence each."""
    return [
        f"{pair.first} and {pair.second} are only {diff:.1f} apart under {vision} "
        f"(CAM02-UCS Delta E; at least {threshold:g} needed)"
        for pair in pairs
        for vision, diff in [pair.closest]
        if diff < threshold
    ]


# -- text ---------------------------------------------------------------------------------


def smallest_text_points(figure: Any) -> float | None:
    """The size of the smallest text a figure shows, in points (None if it shows none).

    The figure is laid out first, which gives the tick labels their text; those
    of ticks outside the axes' view are not drawn, and do not count.
    """
    from matplotlib.text import Text

    figure.draw_without_rendering()
    hidden = set()
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            margin = (high - low) * 1e-9
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                loc = tick.get_loc()
                if loc is None or not low - margin <= loc <= high + margin:
                    hidden |= {tick.label1, tick.label2}
    sizes = [
        text.get_fontsize()
        for text in figure.findobj(Text)
        if text.get_visible() and text.get_text().strip() and text not in hidden
    ]
    return min(sizes, default=None)


# -- one figure ---------------------------------------------------------------------------


@dataclass
class FigureRecord:
    """What the build measured of one figure, for the run record and the browser tests."""

    image: str
    alt: str
    width_px: int
    height_px: int
    dpi: float
    smallest_text_points: float | None
    #: Each pair of series colours and its difference under each vision.
    color_pairs: list[dict[str, Any]] = field(default_factory=list)
    #: What keeps it off the page, one sentence each ("figure 2 of plot_xx.py: ...").
    problems: list[str] = field(default_factory=list)


def inspect_figure(figure: Any, image_name: str) -> FigureRecord:
    """Measure a figure, and find everything that keeps it off the page."""
    alt = getattr(figure, page_checks.ALT_TEXT_ATTRIBUTE, None)
    problems = [p] if (p := alt_text_problem(alt, image_name, figure_titles(figure))) else []
    pairs = color_pairs(series_colors(figure))
    problems += merged_colors(pairs)
    smallest = smallest_text_points(figure)
    if smallest is not None and smallest < MIN_TEXT_POINTS:
        problems.append(
            f"it has text of {smallest:g} points, smaller than the {MIN_TEXT_POINTS:g} points "
            "readers can read at the width the page shows it"
        )
    width, height = figure.get_size_inches()
    return FigureRecord(
        image=image_name,
        alt=alt or "",
        width_px=round(width * figure.dpi),
        height_px=round(height * figure.dpi),
        dpi=figure.dpi,
        smallest_text_points=smallest,
        color_pairs=[asdict(pair) for pair in pairs],
        problems=problems,
    )


# -- the scraper ----------------------------------------------------------------------------

_records: list[FigureRecord] = []


def note_figure(record: FigureRecord) -> None:
    """Keep what was measured of a figure the page shows, for its example's run record."""
    _records.append(record)


def take_figures() -> list[dict[str, Any]]:
    """The figures recorded since the last call, in order; starts a new list."""
    taken = [asdict(record) for record in _records]
    _records.clear()
    return taken


def figure_problems(figures: Iterable[dict[str, Any]]) -> list[str]:
    """The problems of the figures of run records (:func:`take_figures`), one line each."""
    return [problem for figure in figures for problem in figure.get("problems", [])]


#: A figure on the page: the image, its alt text, and a link to the full-size file.
IMAGE_RST = """
.. image:: /{path}
   :alt: {alt}
   :target: {target}
   :class: sphx-glr-single-img
"""


def image_rst(image: str, src_dir: str, alt: str, page_dir: str) -> str:
    """ReST for one saved figure: ``image`` is its path, ``page_dir`` the page's folder.

    Both relative to the docs sources ``src_dir``; Sphinx copies images to
    ``_images/`` in the site, where the link points. docutils escapes the alt
    text in the page.
    """
    path = posixpath.relpath(Path(image).as_posix(), Path(src_dir).as_posix())
    target = posixpath.relpath(f"_images/{Path(image).name}", page_dir or ".")
    return IMAGE_RST.format(path=path, alt=" ".join(alt.split()), target=target)


def scrape_figures(block: Any, block_vars: dict[str, Any], gallery_conf: dict[str, Any]) -> str:
    """sphinx-gallery's image scraper for the gallery: inspect, save and show each figure.

    Each open figure is measured (:func:`inspect_figure`) and its record kept
    for the example's run record, problems included: ``gallery_hooks`` fails
    the build for them, at every build, whether the example ran again or not.
    sphinx-gallery's ``matplotlib_scraper`` saves the figures (and closes them);
    each becomes a standard image with its alt text, linked to the full-size
    file, one under the other (not side by side, where each would be half as
    wide).
    """
    import matplotlib.pyplot as plt
    from sphinx_gallery.scrapers import matplotlib_scraper

    paths = block_vars["image_path_iterator"]
    before = len(paths)
    example = Path(block_vars["src_file"]).name
    records = []
    for index, number in enumerate(plt.get_fignums()):
        name = Path(paths.image_path.format(before + index + 1)).name  # as it will be saved
        record = inspect_figure(plt.figure(number), name)
        record.problems = [
            f"figure {before + index + 1} of {example}: {p}" for p in record.problems
        ]
        records.append(record)
    matplotlib_scraper(block, block_vars, gallery_conf)
    saved = paths.paths[before:]
    if [Path(p).name for p in saved] != [r.image for r in records]:
        raise RuntimeError(f"{example}: figures saved as {saved}, expected {records}")
    src_dir = gallery_conf["src_dir"]
    page_dir = posixpath.relpath(
        Path(block_vars["target_file"]).parent.as_posix(), Path(src_dir).as_posix()
    )
    for record in records:
        note_figure(record)
    return "".join(
        image_rst(path, src_dir, r.alt, page_dir) for path, r in zip(saved, records, strict=True)
    )
