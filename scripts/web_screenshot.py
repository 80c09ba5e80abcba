"""Screenshot the main job's interactive map for the README: docs/img/web_map.png.

Usage: python scripts/web_screenshot.py [OUTDIR] [PNG]

OUTDIR (default ``out``) is a folder written by ``corridors programme`` (``make
run``), whose ``index.html`` is opened from the file in the system Chromium
(``/usr/bin/chromium`` or ``$CORRIDORS_CHROMIUM``) through playwright, with the
least-cost corridors, pinch points and a popup of a candidate site shown. The
page must load with no request leaving the file; the script stops otherwise.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main(outdir: Path, png: Path) -> None:
    """Open ``outdir/index.html``, zoom on the Amu Darya and the Zarafshon, open one popup and write ``png``."""
    exe = os.environ.get("CORRIDORS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 900})
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.goto((outdir / "index.html").resolve().as_uri())
        page.wait_for_function("window.corridorsMaps && window.corridorsMaps.length > 0")
        page.evaluate("""() => {
            const m = window.corridorsMaps[0];
            m.map.setView([40.6, 64.8], 6.5, {animate: false});
            m.layers.candidate_sites.eachLayer(l => {
                if (l.feature.properties.id === "cand-zarafshon-nnp-extension") l.openPopup();
            });
        }""")
        page.wait_for_timeout(500)
        png.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=png)
        browser.close()
    if outside:
        sys.exit(f"the page asked for {len(outside)} outside resources, e.g. {outside[0]}")
    print(f"wrote {png}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(Path(args[0]) if args else ROOT / "out", Path(args[1]) if len(args) > 1 else ROOT / "docs" / "img" / "web_map.png")
