"""ESC/POS: receipt rows to printer bytes (python-escpos `Dummy`), and the bytes to the printer.

`GERAI_PRINTER` names the printer: `none`, `network:HOST[:PORT]`, `usb:VENDOR:PRODUCT` (hex ids),
`serial:DEVICE[@BAUD]` or `file:PATH` (appended to, so a file printer keeps every receipt; a
device node such as /dev/usb/lp0 does not mind). Printing runs after the sale is committed and
never raises: `print_rows` answers `PrintResult(printed, error)` for the till to show.

python-escpos prints notices and calls `logging.basicConfig()` on import, so it is imported
only here, inside the functions that need it (STACK.md).
"""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass

from pos.receipts import Row

PROFILES = {58: "POS-5890", 80: "TM-T20II"}  # 58 mm: no cutter (cut() only feeds); 80 mm: 48 columns, cutter
DEFAULT_TIMEOUT = 3.0  # seconds: a switched-off network printer must not hold the till for long
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class PrinterSpecError(ValueError):
    """GERAI_PRINTER cannot be understood; the message says how to write it."""


@dataclass(frozen=True)
class PrinterSpec:
    kind: str  # none, network, usb, serial, file
    target: str = ""
    port: int = 9100
    vendor: int = 0
    product: int = 0
    baudrate: int = 9600

    def __str__(self) -> str:
        return {"none": "none", "network": f"network:{self.target}:{self.port}",
                "usb": f"usb:{self.vendor:04x}:{self.product:04x}", "serial": f"serial:{self.target}@{self.baudrate}",
                "file": f"file:{self.target}"}[self.kind]


@dataclass(frozen=True)
class PrintResult:
    printed: bool
    error: str | None = None


NO_PRINTER = PrintResult(False, "No printer is set up (GERAI_PRINTER=none).")


def parse_printer(spec: str) -> PrinterSpec:
    kind, _, rest = (spec or "none").strip().partition(":")
    try:
        if kind == "none":
            return PrinterSpec("none")
        if kind == "network" and rest:
            host, _, port = rest.rpartition(":") if rest.count(":") == 1 else (rest, "", "9100")
            return PrinterSpec("network", host, port=int(port))
        if kind == "usb" and rest.count(":") == 1:
            vendor, product = (int(x, 16) for x in rest.split(":"))
            return PrinterSpec("usb", vendor=vendor, product=product)
        if kind == "serial" and rest:
            device, _, baud = rest.partition("@")
            return PrinterSpec("serial", device, baudrate=int(baud or 9600))
        if kind == "file" and rest:
            return PrinterSpec("file", rest)
    except ValueError:
        pass
    raise PrinterSpecError(f"GERAI_PRINTER {spec!r} is not understood; write none, network:HOST:PORT, "
                           "usb:VENDOR:PRODUCT (hex), serial:DEVICE[@BAUD] or file:PATH")


def render(rows: list[Row], *, paper_mm: int = 58, profile: str | None = None, open_drawer: bool = False) -> bytes:
    """ESC/POS bytes: reset, styled lines, cut (a feed on printers without a cutter), drawer kick."""
    from escpos.printer import Dummy

    p = Dummy(profile=profile or PROFILES[paper_mm])
    p.hw("INIT")
    for row in rows:
        p.set(align="center" if row.center else "left", bold=row.bold, double_height=row.tall, normal_textsize=not row.tall)
        p.textln(row.text)
    p.set_with_default()
    p.cut()
    if open_drawer:
        p.cashdraw(2)
    return p.output


def _device(spec: PrinterSpec, profile: str, timeout: float):
    from escpos import printer

    if spec.kind == "usb":
        return printer.Usb(spec.vendor, spec.product, 0, profile=profile, timeout=int(timeout * 1000))
    return printer.Serial(spec.target, baudrate=spec.baudrate, timeout=timeout, profile=profile)


def send(spec: PrinterSpec, data: bytes, *, profile: str, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Write the bytes to the printer; raises whatever the device raises."""
    if spec.kind == "file":
        with open(spec.target, "ab") as fh:
            fh.write(data)
        return
    if spec.kind == "network":
        # A raw socket (port 9100, "JetDirect"), as python-escpos's Network does, except that
        # its 3.1 leaves the socket open when the printer refuses the connection.
        with socket.create_connection((spec.target, spec.port), timeout=timeout) as conn:
            conn.sendall(data)
        return
    device = _device(spec, profile, timeout)
    try:
        device.open()
        device._raw(data)  # noqa: SLF001 (python-escpos's way to send bytes rendered elsewhere)
    finally:
        device.close()


def _lock_for(spec: PrinterSpec) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(str(spec), threading.Lock())


def print_rows(printer: str, rows: list[Row], *, paper_mm: int, profile: str | None = None, open_drawer: bool = False,
               timeout: float = DEFAULT_TIMEOUT) -> PrintResult:
    """Render and send; any failure becomes `PrintResult(False, why)`, never an exception."""
    try:
        spec = parse_printer(printer)
        if spec.kind == "none":
            return NO_PRINTER
        data = render(rows, paper_mm=paper_mm, profile=profile, open_drawer=open_drawer)
        with _lock_for(spec):  # one receipt at a time per printer, never interleaved
            send(spec, data, profile=profile or PROFILES[paper_mm], timeout=timeout)
        return PrintResult(True)
    except Exception as err:  # noqa: BLE001 (a printer fails in many ways; none of them may lose the sale)
        return PrintResult(False, f"The printer did not print: {_reason(err)}")


def _reason(err: Exception) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text[:200]


def print_for_shop(settings, rows: list[Row], open_drawer: bool = False) -> PrintResult:
    """Print on the shop's printer as configured: GERAI_PRINTER, GERAI_PAPER, and optionally
    GERAI_PRINTER_PROFILE (a python-escpos profile name) and GERAI_PRINTER_TIMEOUT (seconds)."""
    if settings.printer in ("", "none"):
        return NO_PRINTER
    try:
        timeout = float(settings.extra.get("GERAI_PRINTER_TIMEOUT") or DEFAULT_TIMEOUT)
    except ValueError:
        timeout = DEFAULT_TIMEOUT
    return print_rows(settings.printer, rows, paper_mm=settings.paper_mm,
                      profile=settings.extra.get("GERAI_PRINTER_PROFILE") or None, open_drawer=open_drawer,
                      timeout=timeout)
