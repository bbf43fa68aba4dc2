"""The shell of every HTML page: self-contained (inline CSS, images as data URIs), readable on a
phone (viewport, fluid width, tables that scroll sideways rather than overflow)."""

from __future__ import annotations

import html

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;padding:1rem;
color:#1f2328;background:#fff;line-height:1.45}
main{max-width:52rem;margin:0 auto}
h1{font-size:1.5rem;margin:.2rem 0 1rem}h2{font-size:1.15rem;margin:1.6rem 0 .5rem}
.score{font-size:2rem;font-weight:700}.muted{color:#59636e;font-size:.9rem}
.step{border:1px solid #d1d9e0;border-radius:8px;padding:.6rem .9rem;margin:.7rem 0}
.step h2{margin:.2rem 0;display:flex;justify-content:space-between;gap:1rem}
.pass{color:#1a7f37}.fail{color:#cf222e}
ul{padding-left:1.1rem;margin:.3rem 0}li{margin:.35rem 0}
.hint{background:#ddf4ff;border-radius:6px;padding:.3rem .5rem;margin-top:.2rem;font-size:.95rem}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #d1d9e0;vertical-align:top}
img{max-width:100%;height:auto}
.problem{background:#fff8c5;border-radius:6px;padding:.4rem .6rem}
"""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )
