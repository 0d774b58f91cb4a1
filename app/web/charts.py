"""Charts drawn on the server as inline SVG: no script, no CDN, they print as they show.

Each function returns :class:`markupsafe.Markup`; every piece of text in it is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def bar(
    value: float | None,
    scale: float = 100.0,
    *,
    marker: float | None = None,
    width: int = 220,
    ok: bool | None = None,
) -> Markup:
    """A horizontal bar of ``value`` out of ``scale``; ``marker`` draws a threshold line."""
    height = 14
    top = max(scale, marker or 0.0, value or 0.0, 1e-9)
    filled = 0.0 if value is None else max(0.0, min(value, top)) / top * width
    kind = "" if ok is None else (" ok" if ok else " bad")
    parts = [
        f'<svg class="bar{kind}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(_fmt(value))} / {escape(_fmt(top))}">',
        f'<rect class="track" x="0" y="0" width="{width}" height="{height}" rx="2"/>',
        f'<rect class="fill" x="0" y="0" width="{filled:.1f}" height="{height}" rx="2"/>',
    ]
    if marker is not None:
        x = max(0.0, min(marker, top)) / top * width
        parts.append(f'<line class="marker" x1="{x:.1f}" x2="{x:.1f}" y1="-2" y2="{height + 2}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def cap_bar(allocated: int, cap: int | None, *, width: int = 260) -> Markup:
    """One cell per capped place: used places filled; places over the cap in red."""
    slots = max(cap or 0, allocated, 1)
    gap, height = 3, 16
    cell = (width - gap * (slots - 1)) / slots
    rects = []
    for i in range(slots):
        kind = "used" if i < allocated else "free"
        if cap is not None and i >= cap:
            kind = "over"
        x = i * (cell + gap)
        rects.append(
            f'<rect class="{kind}" x="{x:.1f}" y="0" width="{cell:.1f}" height="{height}" rx="2"/>'
        )
    text = f"{allocated} / {cap if cap is not None else '∞'}"
    return Markup(
        f'<svg class="capbar" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(text)}">{"".join(rects)}</svg>'
    )


def lines(
    points: Sequence[tuple[int, float | None]],
    *,
    invert: bool = False,
    low: float | None = None,
    high: float | None = None,
    width: int = 320,
    height: int = 120,
    digits: int = 1,
) -> Markup:
    """A line over years (``invert`` for ranks: 1 at the top), with its values labelled."""
    known = [(x, y) for x, y in points if y is not None]
    if not known:
        return Markup('<p class="muted">无数据 / no data</p>')
    ys = [y for _, y in known]
    lo = min(ys) if low is None else low
    hi = max(ys) if high is None else high
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    years = [x for x, _ in points]
    pad = 28

    def px(year: int) -> float:
        span = max(years) - min(years)
        return pad + (0.5 if span == 0 else (year - min(years)) / span) * (width - 2 * pad)

    def py(value: float) -> float:
        share = (value - lo) / (hi - lo)
        return pad / 2 + (share if invert else 1 - share) * (height - pad * 1.5)

    path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in known)
    dots = "".join(
        f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3"/>'
        f'<text x="{px(x):.1f}" y="{py(y) - 6:.1f}" text-anchor="middle">'
        f"{escape(_fmt(y, digits))}</text>"
        for x, y in known
    )
    axis = "".join(
        f'<text class="axis" x="{px(x):.1f}" y="{height - 4}" text-anchor="middle">{x}</text>'
        for x in years
    )
    return Markup(
        f'<svg class="lines" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img"><polyline points="{path}"/>{dots}{axis}</svg>'
    )
