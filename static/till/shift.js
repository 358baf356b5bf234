// The cashier's shift: opened with the cash in the drawer, closed with the cash counted (F10),
// which shows the Z report: what the drawer should hold against what was counted.
import { $, closeDialog, digitsOnly, el, openDialog, say, t } from "./dom.js";
import { formatRupiah, parseRupiah } from "./format.js";

export class Shift {
  constructor(till) {
    this.till = till;
    this.current = null;
    this.openBox = $("#shift-dialog");
    this.closeBox = $("#close-dialog");
    this.opening = $("#opening-cash");
    this.counted = $("#counted-cash");
    this.report = null;
    this.opening.addEventListener("input", () => digitsOnly(this.opening));
    this.counted.addEventListener("input", () => digitsOnly(this.counted));
    $("#sign-out").addEventListener("click", () => $("#logout-form").submit());
  }

  /** Ask the server for this cashier's open shift; none: ask for the opening cash. */
  async load() {
    try {
      const { data } = await this.till.api.get("/shifts/current");
      this.#set(data && data.id ? data : null);
    } catch (err) {
      if (this.till.handleAuth(err)) return;
      if (err.kind === "refused" && err.status === 404) this.#set(null);
      else {
        this.till.scanMessage(err.message);
        setTimeout(() => this.load(), 3000);
        return;
      }
    }
    if (!this.current && !this.till.modal) this.till.openModal(this, "open");
  }

  #set(shift) {
    this.current = shift;
    const opened = shift?.opened_at ? new Date(shift.opened_at) : null;
    $("#shift-info").textContent = shift
      ? t("shift_info", { time: opened ? opened.toLocaleTimeString("id-ID", { hour: "2-digit", minute: "2-digit" }) : "" })
      : t("no_shift");
  }

  open(kind) {
    this.kind = kind;
    if (kind === "open") {
      this.opening.value = "";
      say($("#shift-message"), "");
      openDialog(this.openBox, this.opening);
    } else {
      this.report = null;
      this.counted.value = "";
      $("#close-form").hidden = false;
      $("#z-report").hidden = true;
      say($("#close-message"), "");
      openDialog(this.closeBox, this.counted);
    }
  }

  close() {
    closeDialog(this.openBox);
    closeDialog(this.closeBox);
  }

  onKey(event) {
    if (this.busy) return event.preventDefault();
    if (this.kind === "open") {
      if (event.key === "Enter") {
        event.preventDefault();
        this.#openShift();
      } else if (event.key === "Escape") event.preventDefault(); // no selling without a shift
    } else if (this.report) {
      if (event.key === "Enter") {
        event.preventDefault();
        this.till.closeModal();
        this.till.openModal(this, "open");
      } else if (event.key === "Escape") event.preventDefault();
    } else if (event.key === "Enter") {
      event.preventDefault();
      this.#closeShift();
    } else if (event.key === "Escape") {
      event.preventDefault();
      this.till.closeModal();
    }
  }

  async #run(node, work) {
    this.busy = true;
    try {
      await work();
    } catch (err) {
      if (!this.till.handleAuth(err)) say(node, err.message);
    } finally {
      this.busy = false;
    }
  }

  #openShift() {
    const cash = parseRupiah(this.opening.value || "0");
    if (cash === null) return say($("#shift-message"), t("cash_invalid"));
    return this.#run($("#shift-message"), async () => {
      const { data } = await this.till.api.post("/shifts", { opening_cash: cash });
      this.#set(data);
      this.till.closeModal();
    }).then(() => {
      if (!this.current) return this.load(); // 409: a shift is already open (another tab)
    });
  }

  #closeShift() {
    const cash = parseRupiah(this.counted.value);
    if (cash === null) return say($("#close-message"), t("cash_invalid"));
    return this.#run($("#close-message"), async () => {
      const { data } = await this.till.api.post(`/shifts/${this.current.id}/close`, { counted_cash: cash });
      this.report = data;
      this.#set(null);
      this.#showReport(data);
    });
  }

  #showReport(z) {
    const money = ["opening_cash", "expected_cash", "counted_cash", "difference"];
    const rows = [];
    for (const key of money) {
      if (z[key] !== undefined && z[key] !== null) rows.push([t(`z_${key}`), formatRupiah(z[key]), key]);
    }
    if (z.sales_total !== undefined && z.sales_total !== null) rows.push([t("z_sales_total"), formatRupiah(z.sales_total), "sales_total"]);
    for (const key of ["sales_count", "refunds_count"]) {
      if (z[key] !== undefined && z[key] !== null) rows.push([t(`z_${key}`), String(z[key]), key]);
    }
    for (const [method, amount] of Object.entries(z.totals_by_method || {})) {
      rows.push([t("z_total", { method: t(`method_${method}`) }), formatRupiah(amount), `total_${method}`]);
    }
    $("#z-rows").replaceChildren(...rows.map(([label, value, key]) =>
      el("tr", { dataset: { key } }, el("th", {}, label), el("td", {}, value))));
    const printer = this.till.config.printer;
    say($("#z-print"), !printer ? "" : z.printed ? t("z_printed") : t("z_not_printed"), z.printed ? "ok" : "error");
    $("#close-form").hidden = true;
    $("#z-report").hidden = false;
    this.closeBox.focus();
  }
}
