"""The passport as a page a consumer reads on a phone (no script, inline style)."""

from __future__ import annotations

from html import escape
from typing import Any

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f4f0;color:#1d1d1f}
header{background:#111;color:#f5e6c8;padding:20px 16px;display:flex;gap:12px;align-items:center}
header img{height:40px;border-radius:6px;background:#fff}
main{padding:16px;max-width:640px;margin:auto}
.card{background:#fff;border-radius:14px;padding:16px;margin-bottom:14px;box-shadow:0 1px 3px #0001}
h1{font-size:1.4rem;margin:0 0 4px}h2{font-size:1rem;margin:0 0 8px;color:#555}
.badge{display:inline-block;padding:4px 10px;border-radius:99px;font-weight:600}
.passed{background:#e3f6e8;color:#176b32}.failed{background:#fde7e7;color:#a11}
dl{display:grid;grid-template-columns:auto 1fr;gap:4px 12px;margin:0}dt{color:#777}
.photos{display:grid;grid-template-columns:repeat(3,1fr);gap:6px}
.photos img{width:100%;border-radius:8px;aspect-ratio:1;object-fit:cover}
footer{font-size:.8rem;color:#777;text-align:center;padding:16px}
"""


def render(
    page: dict[str, Any],
    *,
    version: int,
    status: str,
    json_url: str,
    qr_url: str,
    photo_urls: list[str],
) -> str:
    e = escape
    qa = page.get("qa") or {}
    verdict = qa.get("verdict")
    logo = (
        f'<img src="{e(page["logo_url"])}" alt="{e(page["provider"])} logo">'
        if page.get("logo_url")
        else ""
    )
    rows = [
        ("Product", page.get("product")),
        ("SKU", page.get("sku")),
        ("GTIN", page.get("gtin")),
        ("Lot", page.get("lot_number")),
        ("Units", page.get("quantity")),
        ("Produced", page.get("production_date")),
    ]
    facts = "".join(f"<dt>{e(k)}</dt><dd>{e(str(v))}</dd>" for k, v in rows if v is not None)
    qa_html = "<p>No inspection recorded yet.</p>"
    if verdict:
        counts = qa.get("counts") or {}
        qa_html = (
            f'<p><span class="badge {e(verdict)}">QA {e(verdict)}</span></p>'
            f"<dl><dt>Sampled</dt><dd>{e(str(qa.get('sample_size')))} units "
            f"(ISO 2859-1, level {e(str(qa.get('level')))}, AQL {e(str(qa.get('aql')))})</dd>"
            f"<dt>Nonconforming</dt><dd>{e(str(counts.get('nonconforming_units', 0)))}</dd>"
            f"<dt>Defects</dt><dd>{e(str(counts.get('critical', 0)))} critical, "
            f"{e(str(counts.get('major', 0)))} major, {e(str(counts.get('minor', 0)))} minor</dd>"
            f"<dt>Inspected</dt><dd>{e(str(qa.get('completed_at') or ''))[:10]}</dd></dl>"
        )
    materials = "".join(
        f"<dt>{e(str(m.get('name')))}</dt><dd>{e(str(m.get('quantity')))} {e(str(m.get('unit')))}</dd>"
        for m in page.get("materials") or []
    )
    photos = "".join(f'<img src="{e(u)}" alt="QA photo">' for u in photo_urls)
    superseded = (
        '<div class="card"><strong>A newer version of this passport exists.</strong></div>'
        if status == "superseded"
        else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(str(page.get("product")))} lot {e(str(page.get("lot_number")))} - Product passport</title>
<link rel="alternate" type="application/ld+json" href="{e(json_url)}">
<style>{_STYLE}</style></head>
<body><header>{logo}<div><div>{e(page.get("provider") or "")}</div>
<small>Digital Product Passport v{version}</small></div></header>
<main>{superseded}
<div class="card"><h1>{e(str(page.get("product")))}</h1><dl>{facts}</dl></div>
<div class="card"><h2>Quality</h2>{qa_html}</div>
{f'<div class="card"><h2>Materials</h2><dl>{materials}</dl></div>' if materials else ""}
{f'<div class="card"><h2>QA photos</h2><div class="photos">{photos}</div></div>' if photos else ""}
<div class="card"><h2>Scan</h2><img src="{e(qr_url)}" alt="QR code" width="160" height="160"></div>
</main><footer>UNTP DPP 0.6 &middot; <a href="{e(json_url)}">machine-readable (JSON-LD)</a></footer>
</body></html>"""
