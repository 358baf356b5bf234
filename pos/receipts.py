"""Receipt layout for thermal paper: 32 columns (58 mm) or 48 (80 mm). Pure: rows of text, no I/O.

The same rows become plain text (`as_text`) and ESC/POS bytes (`pos.printing.render`). Printed
in Indonesian: the paper is for the buyer. The NIK only ever appears masked.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from gerai.numbers import format_qty, format_rupiah
from pos.documents import RefundDoc, SaleDoc
from pos.nik import mask_nik
from pos.shifts import ShiftDoc

COLUMNS = {58: 32, 80: 48}
METHOD_LABELS = {"cash": "Tunai", "qris": "QRIS", "transfer": "Transfer"}
CATEGORY_LABELS = {"rumah_tangga": "Rumah tangga", "usaha_mikro": "Usaha mikro", "petani": "Petani",
                   "nelayan": "Nelayan"}
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
FRACTIONAL = ("kg", "liter")


@dataclass(frozen=True)
class Row:
    text: str
    bold: bool = False
    center: bool = False
    tall: bool = False  # double height (width stays, so the column count holds)


@dataclass(frozen=True)
class Shop:
    name: str
    address: str = ""
    timezone: str = "Asia/Jakarta"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def columns_for(paper_mm: int) -> int:
    return COLUMNS[paper_mm]


def pair(left: str, right: str, width: int, bold: bool = False) -> list[Row]:
    """`left` and `right` on one line, right-aligned; on two when they do not fit."""
    if len(left) + 1 + len(right) <= width:
        return [Row(left + " " * (width - len(left) - len(right)) + right, bold)]
    return [*(Row(t, bold) for t in textwrap.wrap(left, width) or [""]), Row(right.rjust(width), bold)]


def wrapped(text: str, width: int, **style) -> list[Row]:
    return [Row(t, **style) for t in textwrap.wrap(text, width, break_long_words=True) or [""]]


def rule(width: int, char: str = "-") -> Row:
    return Row(char * width)


def stamp(at: datetime, shop: Shop) -> str:
    local = at.astimezone(shop.tz)
    return f"{local:%d/%m/%Y %H:%M} {ZONE_NAMES.get(shop.timezone, local.strftime('%Z'))}".rstrip()


def header(shop: Shop, width: int) -> list[Row]:
    rows = wrapped(shop.name.upper(), width, bold=True, center=True, tall=True)
    if shop.address:
        rows += wrapped(shop.address, width, center=True)
    return rows + [rule(width, "=")]


def qty_text(qty, unit: str) -> str:
    return format_qty(qty, unit in FRACTIONAL) + (f" {unit}" if unit in FRACTIONAL else "")


def sale_rows(sale: SaleDoc, shop: Shop, width: int, *, copy: bool = False) -> list[Row]:
    """The buyer's receipt: shop, number, cashier, lines, total, payments, change, member, masked NIK."""
    rows = header(shop, width)
    rows += pair(f"No. {sale.number:06d}", stamp(sale.at, shop), width)
    rows += wrapped(f"Kasir: {sale.cashier_name}", width)
    if copy:
        rows.append(Row("** SALINAN / CETAK ULANG **", bold=True, center=True))
    rows.append(rule(width))
    for ln in sale.lines:
        rows += wrapped(ln.name, width)
        rows += pair(f"  {qty_text(ln.qty, ln.unit)} x {format_rupiah(ln.unit_price)}", format_rupiah(ln.amount), width)
        if ln.unit_price < ln.catalog_price:
            rows += wrapped(f"  Diskon dari {format_rupiah(ln.catalog_price)}", width)
        if ln.empties_returned:
            rows += wrapped(f"  Tabung kosong diterima: {format_qty(ln.empties_returned, False)}", width)
    rows.append(rule(width))
    rows += pair("TOTAL", format_rupiah(sale.total), width, bold=True)
    for p in sale.payments:
        rows += pair(METHOD_LABELS.get(p.method, p.method), format_rupiah(p.amount), width)
    rows += pair("Kembali", format_rupiah(sale.change), width)
    rows += _buyer_rows(sale, width)
    rows += [rule(width), Row("Terima kasih", center=True), Row(sale.id[:8], center=True)]
    return rows


def _buyer_rows(sale: SaleDoc, width: int) -> list[Row]:
    rows = []
    if sale.member_no:
        rows += wrapped(f"Anggota: {sale.member_no} {sale.member_name or ''}".rstrip(), width)
    if sale.nik_last4:
        rows += wrapped(f"NIK: {mask_nik(sale.nik_last4)}", width)
    if sale.buyer_category:
        rows += wrapped(f"Kategori: {CATEGORY_LABELS.get(sale.buyer_category, sale.buyer_category)}", width)
    if sale.subsidy_reference:
        rows += wrapped(f"Ref. i-Pubers: {sale.subsidy_reference}", width)
    return [rule(width), *rows] if rows else []


def refund_rows(refund: RefundDoc, shop: Shop, width: int) -> list[Row]:
    rows = header(shop, width) + [Row("PENGEMBALIAN BARANG", bold=True, center=True)]
    rows += pair(f"No. R{refund.number:05d}", stamp(refund.at, shop), width)
    rows += wrapped(f"Atas struk No. {refund.sale_number:06d}", width)
    rows += wrapped(f"Oleh: {refund.user}", width)
    rows += wrapped(f"Alasan: {refund.reason}", width)
    rows.append(rule(width))
    for ln in refund.lines:
        rows += wrapped(ln.name, width)
        rows += pair(f"  {qty_text(ln.qty, ln.unit)} x {format_rupiah(ln.unit_price)}", format_rupiah(ln.amount), width)
    rows.append(rule(width))
    rows += pair("DIKEMBALIKAN", format_rupiah(refund.total), width, bold=True)
    rows += pair("Cara", METHOD_LABELS.get(refund.method, refund.method), width)
    return rows


def z_report_rows(shift: ShiftDoc, shop: Shop, width: int) -> list[Row]:
    """The shift's closing report: cash expected vs counted, takings by method, counts."""
    rows = header(shop, width) + [Row("LAPORAN TUTUP SHIFT (Z)", bold=True, center=True)]
    rows += pair(f"Shift #{shift.id}", shift.cashier_name, width)
    rows += pair("Buka", stamp(shift.opened_at, shop), width)
    rows += pair("Tutup", stamp(shift.closed_at, shop) if shift.closed_at else "(masih buka)", width)
    rows.append(rule(width))
    rows += pair("Jumlah penjualan", str(shift.sales_count), width)
    rows += pair("Total penjualan", format_rupiah(shift.sales_total), width)
    for method, amount in shift.totals_by_method.items():
        rows += pair(f"  {METHOD_LABELS.get(method, method)}", format_rupiah(amount), width)
    rows += pair("Jumlah pengembalian", str(shift.refunds_count), width)
    rows += pair("Total pengembalian", format_rupiah(shift.refunds_total), width)
    rows.append(rule(width))
    rows += pair("Modal awal", format_rupiah(shift.opening_cash), width)
    rows += pair("Kas seharusnya", format_rupiah(shift.expected_cash), width, bold=True)
    if shift.counted_cash is not None:
        rows += pair("Kas dihitung", format_rupiah(shift.counted_cash), width, bold=True)
        rows += pair("Selisih", format_rupiah(shift.difference or 0), width, bold=True)
    return rows


def self_test_rows(shop: Shop, width: int, printer: str, now: datetime) -> list[Row]:
    rows = header(shop, width) + [Row("TES PRINTER", bold=True, center=True)]
    rows += wrapped(f"Printer: {printer}", width) + wrapped(f"Kertas: {width} kolom", width)
    rows += [Row(stamp(now, shop)), rule(width), Row("".join(str(i % 10) for i in range(1, width + 1)))]
    rows += pair("Kiri", "Kanan", width) + pair("TOTAL", format_rupiah(1234500), width, bold=True)
    return rows + [Row("Tes selesai", center=True)]


def as_text(rows: list[Row], width: int) -> str:
    """Plain text as the printer lays it out (centred rows padded on the left)."""
    out = []
    for row in rows:
        text = row.text[:width]
        out.append((" " * ((width - len(text)) // 2) + text) if row.center else text)
    return "\n".join(line.rstrip() for line in out) + "\n"
