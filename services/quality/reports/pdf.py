"""The PDFs: an inspection report (lot, plan, verdict, defects with photos) and a photo
book (every photo of the lot, annotations drawn). fpdf2, core fonts only."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fpdf import FPDF
from PIL import Image, ImageDraw

INK = (29, 29, 31)
GOLD = (176, 141, 87)


@dataclass
class PhotoData:
    image: bytes
    caption: str
    annotations: list[dict[str, Any]]
    defect: str | None = None


@dataclass
class ReportData:
    provider: str
    lot_number: str
    product: str
    quantity: int
    plant: str
    inspection: dict[str, Any] | None
    defects: list[dict[str, Any]] = field(default_factory=list)
    photos: list[PhotoData] = field(default_factory=list)


def _latin(text: Any) -> str:
    return str(text).encode("latin-1", "replace").decode("latin-1")


def annotated(photo: PhotoData, max_px: int = 1200) -> bytes:
    """The photo as JPEG with its annotations drawn over it."""
    with Image.open(io.BytesIO(photo.image)) as src:
        img = src.convert("RGB")
        img.thumbnail((max_px, max_px))
        draw = ImageDraw.Draw(img)
        w, h = img.size
        for a in photo.annotations:
            color = a.get("color", "#ff3b30")
            if a.get("kind") == "box":
                box = (a["x"] * w, a["y"] * h, (a["x"] + a["w"]) * w, (a["y"] + a["h"]) * h)
                draw.rectangle(box, outline=color, width=max(2, w // 200))
                if a.get("label"):
                    draw.text((box[0] + 4, box[1] + 4), a["label"], fill=color)
            elif a.get("kind") == "arrow":
                draw.line(
                    (a["x1"] * w, a["y1"] * h, a["x2"] * w, a["y2"] * h),
                    fill=color,
                    width=max(2, w // 200),
                )
                draw.ellipse(
                    (a["x2"] * w - 6, a["y2"] * h - 6, a["x2"] * w + 6, a["y2"] * h + 6),
                    fill=color,
                )
            elif a.get("kind") == "label":
                draw.text((a["x"] * w, a["y"] * h), a["text"], fill=color)
        out = io.BytesIO()
        img.save(out, format="JPEG", quality=80)
        return out.getvalue()


class _Doc(FPDF):
    def __init__(self, data: ReportData, title: str) -> None:
        super().__init__(format="A4")
        self.data = data
        self.doc_title = title
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(f"{title} - lot {data.lot_number}")

    def header(self) -> None:
        # the provider's mark: its initials on a gold square, then its name
        initials = "".join(w[0] for w in self.data.provider.split()[:2]).upper() or "Q"
        self.set_fill_color(*GOLD)
        self.rect(10, 8, 14, 14, style="F")
        self.set_xy(10, 11)
        self.set_font("Helvetica", "B", 11)
        self.set_text_color(255, 255, 255)
        self.cell(14, 8, _latin(initials), align="C")
        self.set_text_color(*INK)
        self.set_xy(28, 9)
        self.set_font("Helvetica", "B", 13)
        self.cell(0, 6, _latin(self.data.provider))
        self.set_xy(28, 15)
        self.set_font("Helvetica", "", 9)
        self.cell(0, 5, _latin(f"{self.doc_title} - lot {self.data.lot_number}"))
        self.ln(12)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 5, f"Page {self.page_no()}/{{nb}}", align="C")


def _photo(doc: _Doc, photo: PhotoData, width: float) -> None:
    doc.image(io.BytesIO(annotated(photo)), w=width)
    doc.set_font("Helvetica", "I", 9)
    doc.multi_cell(0, 5, _latin(photo.caption), new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)


def inspection_report(data: ReportData, progress: Callable[[int], None]) -> tuple[bytes, int]:
    doc = _Doc(data, "Inspection report")
    doc.add_page()
    doc.set_font("Helvetica", "B", 16)
    doc.cell(0, 10, _latin(f"Lot {data.lot_number}"), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 10)
    for label, value in (
        ("Product", data.product),
        ("Quantity", data.quantity),
        ("Plant", data.plant),
    ):
        doc.cell(35, 6, label)
        doc.cell(0, 6, _latin(value), new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)
    insp = data.inspection
    if insp is None:
        doc.cell(0, 8, "No completed inspection yet.", new_x="LMARGIN", new_y="NEXT")
    else:
        plan, counts = insp["plan"], insp.get("counts") or {}
        doc.set_font("Helvetica", "B", 12)
        verdict = str(insp.get("verdict") or "pending").upper()
        doc.set_text_color(*((23, 107, 50) if verdict == "PASSED" else (170, 17, 17)))
        doc.cell(0, 8, f"Verdict: {verdict}", new_x="LMARGIN", new_y="NEXT")
        doc.set_text_color(*INK)
        doc.set_font("Helvetica", "", 10)
        doc.multi_cell(
            0,
            6,
            _latin(
                f"Sampling: ISO 2859-1 single sampling, level {plan['level']}, "
                f"{plan['severity']}, AQL {plan['aql']}. Lot size {plan['lot_size']} -> code "
                f"letter {plan['code_letter']}; sample {plan['sample_size']} units "
                f"(letter {plan['plan_letter']}), accept {plan['accept']}, reject {plan['reject']}."
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        doc.multi_cell(
            0,
            6,
            _latin(
                f"Nonconforming units: {counts.get('nonconforming_units', 0)}; defects: "
                f"{counts.get('critical', 0)} critical, {counts.get('major', 0)} major, "
                f"{counts.get('minor', 0)} minor. Inspected round {insp['round']}, completed "
                f"{str(insp.get('completed_at') or '')[:16]}."
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    progress(30)
    doc.ln(3)
    doc.set_font("Helvetica", "B", 12)
    doc.cell(0, 8, f"Defects ({len(data.defects)})", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 10)
    if data.defects:
        with doc.table(col_widths=(18, 22, 150)) as table:
            table.row(("Unit", "Severity", "Description"))
            for d in data.defects:
                table.row((str(d["unit"]), d["severity"], _latin(d["description"])))
    else:
        doc.cell(0, 6, "None recorded.", new_x="LMARGIN", new_y="NEXT")
    if data.photos:
        doc.add_page()
        doc.set_font("Helvetica", "B", 12)
        doc.cell(0, 8, "Defect photos", new_x="LMARGIN", new_y="NEXT")
        for i, photo in enumerate(data.photos):
            _photo(doc, photo, 120)
            progress(30 + int(60 * (i + 1) / len(data.photos)))
    out = bytes(doc.output())
    return out, doc.page_no()


def photo_book(data: ReportData, progress: Callable[[int], None]) -> tuple[bytes, int]:
    doc = _Doc(data, "Photo book")
    doc.add_page()
    doc.set_font("Helvetica", "B", 16)
    doc.cell(0, 10, _latin(f"Photo book - lot {data.lot_number}"), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 10)
    doc.cell(
        0, 6, _latin(f"{data.product}, {len(data.photos)} photos"), new_x="LMARGIN", new_y="NEXT"
    )
    for i, photo in enumerate(data.photos):
        if i % 2 == 0 and i:
            doc.add_page()
        _photo(doc, photo, 150)
        progress(int(95 * (i + 1) / max(1, len(data.photos))))
    return bytes(doc.output()), doc.page_no()
