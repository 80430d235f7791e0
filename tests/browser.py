"""A real browser for the HTML report: headless Chromium with the network shut off.

`open_in_browser(path)` loads a local HTML file and returns the DOM after parsing (what
`--dump-dom` prints) and a screenshot PNG; `png_colours(png)` decodes that PNG with the standard
library; `table_cells(dom)` reads the report's tables back. Chromium is Debian's `chromium` (or
$CATALYST_TEST_CHROMIUM); `require_chromium()` skips a test without it, or fails it with CI=true.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import accumulate
from pathlib import Path

from tests.conftest import missing

# No sandbox (we run as root), no GPU, and no way out: every connection goes to a closed port
# and every host name resolves to nothing, so a page that tried to load anything would show it.
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def find_chromium() -> Path | None:
    """Chromium's executable: $CATALYST_TEST_CHROMIUM, else `chromium` on the PATH."""
    given = os.environ.get("CATALYST_TEST_CHROMIUM")
    found = given or shutil.which("chromium") or shutil.which("chromium-browser")
    return Path(found) if found and Path(found).is_file() else None


def require_chromium() -> Path:
    """Chromium's executable; else skip the test with the reason, or fail it under CI=true."""
    found = find_chromium()
    if found is None:
        missing("no chromium on the PATH (apt-get install chromium, or set CATALYST_TEST_CHROMIUM)")
    return found


def _run(args: list[str], html: Path, timeout: float) -> str:
    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("no chromium executable (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="catalyst-chromium-") as profile:
        done = subprocess.run(
            [str(chromium), *_FLAGS, f"--user-data-dir={profile}", *args, html.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def dump_dom(html: Path, *, timeout: float = 90) -> str:
    """The DOM of `html` after Chromium parsed it, serialised as HTML."""
    return _run(["--dump-dom"], html, timeout)


def screenshot(
    html: Path, png: Path, *, width: int = 1200, height: int = 2000, timeout: float = 90
) -> Path:
    """A `width` x `height` screenshot of `html`, written to `png`; returns `png`."""
    _run([f"--screenshot={png}", f"--window-size={width},{height}"], html, timeout)
    if not png.is_file():
        raise RuntimeError(f"chromium wrote no screenshot at {png}")
    return png


def open_in_browser(
    html: Path, *, width: int = 1200, height: int = 2000, timeout: float = 90
) -> tuple[str, Path]:
    """Load `html` in headless Chromium: (the DOM, the path of a screenshot beside `html`).

    The screenshot is `html` with the suffix .png, `width` x `height` pixels. Raises
    RuntimeError when Chromium is missing or fails.
    """
    dom = dump_dom(html, timeout=timeout)
    png = screenshot(html, html.with_suffix(".png"), width=width, height=height, timeout=timeout)
    return dom, png


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def png_pixels(png: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) bytes of an 8-bit, non-interlaced RGB or RGBA PNG."""
    data = png.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{png} is not a PNG")
    pos, idat, header = 8, bytearray(), b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"{png}: only 8-bit non-interlaced RGB/RGBA is decoded here")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(bytes(idat))
    stride = width * bpp
    # Adding bytes without carries, eight bits at a time, as one big integer (SWAR): the "up"
    # filter, most of Chromium's rows, in one step instead of a Python loop over every byte.
    low7 = int.from_bytes(b"\x7f" * stride, "big")
    high = int.from_bytes(b"\x80" * stride, "big")
    rows: list[bytes] = []
    prev = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], raw[start + 1 : start + 1 + stride]
        if kind == 2:
            a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            line = (((a & low7) + (b & low7)) ^ ((a ^ b) & high)).to_bytes(stride, "big")
        elif kind == 1:
            out = bytearray(stride)
            for c in range(bpp):
                out[c::bpp] = bytes(v & 0xFF for v in accumulate(line[c::bpp]))
            line = bytes(out)
        elif kind in (3, 4):
            out = bytearray(line)
            for i in range(stride):
                left = out[i - bpp] if i >= bpp else 0
                up, corner = prev[i], prev[i - bpp] if i >= bpp else 0
                guess = (left + up) // 2 if kind == 3 else _paeth(left, up, corner)
                out[i] = (out[i] + guess) & 0xFF
            line = bytes(out)
        rows.append(line)
        prev = line
    return width, height, rows


def png_colours(png: Path, *, step: int = 4) -> dict[tuple[int, int, int], int]:
    """How many sampled pixels (every `step`-th in both directions) have each RGB colour."""
    width, _, rows = png_pixels(png)
    bpp = len(rows[0]) // width if rows else 3
    counts: dict[tuple[int, int, int], int] = {}
    for row in rows[::step]:
        for x in range(0, width, step):
            rgb = (row[x * bpp], row[x * bpp + 1], row[x * bpp + 2])
            counts[rgb] = counts.get(rgb, 0) + 1
    return counts


@dataclass
class ReportTables:
    """What the report's page shows, read back from its DOM.

    `learners` and `modules`: one dict per row (`tr[data-user]`, `tr[data-module]`), each cell's
    `data-key` to its `data-value` (the value as the JSON report writes it, '' for null);
    `learner_text` and `module_text`: the same cells' shown text; `active`: the heatmap's
    active learners by ISO date (days up to as-of only); `tags`: every element name seen.
    """

    learners: list[dict[str, str]] = field(default_factory=list)
    learner_text: list[dict[str, str]] = field(default_factory=list)
    modules: list[dict[str, str]] = field(default_factory=list)
    module_text: list[dict[str, str]] = field(default_factory=list)
    active: dict[str, int] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=set)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables = ReportTables()
        self._values: dict[str, str] | None = None
        self._texts: dict[str, str] = {}
        self._key: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        self.tables.tags.add(tag)
        self.tables.attributes.update(found)
        t = self.tables
        if tag == "tr":
            self._values, self._texts = None, {}
            if "data-user" in found:
                self._values = {}
                t.learners.append(self._values)
                t.learner_text.append(self._texts)
            elif "data-module" in found:
                self._values = {}
                t.modules.append(self._values)
                t.module_text.append(self._texts)
        elif tag in ("td", "th") and self._values is not None and "data-key" in found:
            self._key = found["data-key"]
            self._values[self._key] = found.get("data-value", "")
            self._texts[self._key] = ""
        elif tag == "g" and found.get("data-count"):
            t.active[found["data-day"]] = int(found["data-count"])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._key = None

    def handle_data(self, data: str) -> None:
        if self._key is not None:
            self._texts[self._key] += data


def read_report(dom: str) -> ReportTables:
    """The tables and heatmap counts of a report page (its source, or Chromium's DOM)."""
    reader = _Reader()
    reader.feed(dom)
    reader.close()
    return reader.tables
