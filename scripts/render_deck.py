"""Render a .pptx deck to PDF (LibreOffice) and its pages to PNG (poppler), to look at them.

    python -m scripts.render_deck DECK.pptx --out DIR

prints the PDF's page count and the PNG paths.  Needs the Debian packages
libreoffice-impress (soffice) and poppler-utils (pdftoppm, pdfinfo).  Each run uses its own
temporary LibreOffice profile, so runs in parallel (or beside an open LibreOffice) do not clash.
Importable: `render(pptx_path, out_dir) -> list[Path]` (the PNGs, in page order).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TIMEOUT = 300  # seconds for one conversion (LibreOffice's first start is slow)
RESOLUTION = 60  # dpi of the PNG pages


def _tool(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    package = "libreoffice-impress" if "soffice" in names else "poppler-utils"
    raise RuntimeError(f"找不到 {' / '.join(names)}：请安装 Debian 软件包 {package}")


def to_pdf(pptx_path: Path, out_dir: Path) -> Path:
    """The deck as a PDF in out_dir (same stem), through LibreOffice with a throwaway profile."""
    soffice = _tool("soffice", "libreoffice")
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf = out_dir / f"{pptx_path.stem}.pdf"
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="medfund-lo-profile-") as profile:
        command = [
            soffice,
            f"-env:UserInstallation={Path(profile).resolve().as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            str(pptx_path),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    if result.returncode != 0 or not pdf.is_file():
        raise RuntimeError(
            f"LibreOffice 未能转换 {pptx_path.name}（退出码 {result.returncode}）：{result.stderr or result.stdout}"
        )
    return pdf


def page_count(pdf: Path) -> int:
    """The number of pages of a PDF (pdfinfo)."""
    result = subprocess.run(
        [_tool("pdfinfo"), str(pdf)], capture_output=True, text=True, timeout=60, check=True
    )
    match = re.search(r"^Pages:\s+(\d+)", result.stdout, flags=re.M)
    if not match:
        raise RuntimeError(f"pdfinfo 没有给出 {pdf.name} 的页数")
    return int(match.group(1))


def to_png(pdf: Path, out_dir: Path, resolution: int = RESOLUTION) -> list[Path]:
    """Each page of the PDF as out_dir/STEM-N.png, in page order."""
    prefix = out_dir / pdf.stem
    for old in out_dir.glob(f"{pdf.stem}-*.png"):
        old.unlink()
    subprocess.run(
        [_tool("pdftoppm"), "-png", "-r", str(resolution), str(pdf), str(prefix)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
    )
    pages = out_dir.glob(f"{pdf.stem}-*.png")
    return sorted(pages, key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def render(pptx_path: Path, out_dir: Path) -> list[Path]:
    """Render the deck to out_dir: STEM.pdf and one STEM-N.png per page; the PNGs in order."""
    pptx_path, out_dir = Path(pptx_path).resolve(), Path(out_dir)
    if not pptx_path.is_file():
        raise FileNotFoundError(f"找不到演示文稿：{pptx_path}")
    return to_png(to_pdf(pptx_path, out_dir), out_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="把 .pptx 汇报渲染为 PDF 和逐页 PNG（LibreOffice + poppler）"
    )
    parser.add_argument("deck", type=Path, help="演示文稿 .pptx")
    parser.add_argument("--out", type=Path, required=True, help="输出目录（PDF 与 PNG）")
    args = parser.parse_args(argv)
    try:
        pngs = render(args.deck, args.out)
    except (FileNotFoundError, RuntimeError, subprocess.SubprocessError) as exc:
        print(exc, file=sys.stderr)
        return 1
    pdf = args.out / f"{args.deck.stem}.pdf"
    print(f"PDF：{pdf}（{page_count(pdf)} 页）")
    for png in pngs:
        print(png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
