"""Lighthouse's four scores for pages of the built site (not part of any test run).

Serves the site on loopback and runs Lighthouse (an npm package, not a Python
one) against Debian's Chromium, once per page, with its default mobile
settings or ``--preset desktop``::

    npm install --prefix /tmp/lighthouse lighthouse@12
    LH=/tmp/lighthouse/node_modules/.bin/lighthouse
    python site_tests/lighthouse.py --lighthouse $LH index.html auto_examples/plot_03_input_attributions.html

Scores depend on the machine's load (performance most), so they are reported,
not asserted.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import sitecheck

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def scores(lighthouse: str, url: str, preset: str | None = None) -> dict[str, int]:
    """Lighthouse's scores (0-100) of one page, by category."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = [
            lighthouse,
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--only-categories={','.join(CATEGORIES)}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ]
        if preset:
            command.append(f"--preset={preset}")
        subprocess.run(
            command, env={"CHROME_PATH": sitecheck.CHROMIUM, "PATH": "/usr/bin:/bin"}, check=True
        )
        categories = json.loads(report.read_text())["categories"]
    return {name: round(categories[name]["score"] * 100) for name in CATEGORIES}


def main(argv: list[str] | None = None) -> int:
    """Print the scores of each page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="+", help="pages, relative to the site's root")
    parser.add_argument("--site", default="docs/_build/html", help="the built site")
    parser.add_argument("--lighthouse", default="lighthouse", help="the lighthouse command")
    parser.add_argument("--preset", choices=["desktop"], help="desktop instead of mobile")
    args = parser.parse_args(argv)
    with sitecheck.serve(args.site) as base_url:
        for page in args.pages:
            found = scores(args.lighthouse, base_url + page, args.preset)
            print(f"{page}: " + ", ".join(f"{name} {found[name]}" for name in CATEGORIES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
