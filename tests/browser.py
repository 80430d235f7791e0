"""A real browser for the HTML report: headless Chromium with the network shut off.

`open_in_browser(path)` loads a local HTML file and returns the DOM after parsing (what
`--dump-dom` prints) and a screenshot PNG; `png_colours(png)` decodes that PNG with the standard
library. Chromium is Debian's `chromium` (or $CATALYST_TEST_CHROMIUM); `find_chromium()` says
whether there is one, so tests can skip (or, with CI=true, fail) when there is not.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from itertools import accumulate
from pathlib import Path

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
    return Path(found) if found else None


def _run(chromium: Path, args: list[str], url: str, timeout: float) -> str:
    with tempfile.TemporaryDirectory(prefix="catalyst-chromium-") as profile:
        done = subprocess.run(
            [str(chromium), *_FLAGS, f"--user-data-dir={profile}", *args, url],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def open_in_browser(
    html: Path,
    *,
    width: int = 1200,
    height: int = 2000,
    screenshot: Path | None = None,
    timeout: float = 90,
) -> tuple[str, Path]:
    """Load `html` in headless Chromium: (the DOM as serialised HTML, the screenshot's path).

    The screenshot is `width` x `height` pixels, written to `screenshot` (default: beside
    `html`, with the suffix .png). Raises RuntimeError when Chromium is missing or fails.
    """
    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("no chromium executable (apt-get install chromium)")
    url = html.resolve().as_uri()
    dom = _run(chromium, ["--dump-dom"], url, timeout)
    png = screenshot or html.with_suffix(".png")
    _run(chromium, [f"--screenshot={png}", f"--window-size={width},{height}"], url, timeout)
    if not png.is_file():
        raise RuntimeError(f"chromium wrote no screenshot at {png}")
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
