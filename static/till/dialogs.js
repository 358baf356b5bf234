// The till's small dialogs: quantity of a line, yes/no, the finished sale, signed out.
import { $, closeDialog, openDialog, say, t } from "./dom.js";
import { formatQty, formatRupiah } from "./format.js";

export class QtyDialog {
  constructor(till) {
    this.till = till;
    this.dialog = $("#qty-dialog");
    this.input = $("#qty-input");
  }

  open(index) {
    this.index = index;
    const line = this.till.cart.lines[index];
    $("#qty-item").textContent = `${line.name} (${line.unit})`;
    this.input.value = formatQty(line.milli);
    say($("#qty-message"), "");
    openDialog(this.dialog, this.input);
    this.input.select();
  }

  close() { closeDialog(this.dialog); }

  onKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      this.till.closeModal();
    } else if (event.key === "Enter") {
      event.preventDefault();
      const problem = this.till.applyQty(this.index, this.input.value);
      if (problem) say($("#qty-message"), problem);
      else this.till.closeModal();
    }
  }
}

export class ConfirmDialog {
  constructor(till) {
    this.till = till;
    this.dialog = $("#confirm-dialog");
  }

  open({ title, text, onYes }) {
    this.onYes = onYes;
    $("#confirm-title").textContent = title;
    $("#confirm-text").textContent = text;
    openDialog(this.dialog);
    this.dialog.focus();
  }

  close() { closeDialog(this.dialog); }

  onKey(event) {
    if (event.key === "Enter" || event.key === "Escape") {
      event.preventDefault();
      this.till.closeModal();
      if (event.key === "Enter") this.onYes();
    }
  }
}

export class DoneDialog {
  constructor(till) {
    this.till = till;
    this.dialog = $("#done-dialog");
    this.reprintButton = $("#reprint");
    this.reprintButton.addEventListener("click", () => this.reprint());
    $("#new-sale").addEventListener("click", () => this.till.closeModal());
  }

  open(sale) {
    this.sale = sale;
    $("#done-number").textContent = sale.number === undefined ? "" : String(sale.number).padStart(6, "0");
    $("#done-change").textContent = formatRupiah(sale.change ?? 0);
    $("#done-total").textContent = formatRupiah(sale.total ?? 0);
    $("#done-paid").textContent = formatRupiah(sale.paid ?? 0);
    if (sale.replayed) this.#printStatus(false, t("replayed"));
    else if (!sale.printed && !this.till.config.printer) this.#printStatus(null);
    else this.#printStatus(sale.printed);
    $("#done-print").title = sale.print_error || "";
    openDialog(this.dialog);
    this.dialog.focus();
  }

  close() { closeDialog(this.dialog); }

  #printStatus(printed, message) {
    const node = $("#done-print");
    if (message) say(node, message);
    else if (printed === true) say(node, t("printed"), "ok");
    else if (printed === false) say(node, t("print_failed"));
    else say(node, t("no_printer"), "ok");
    this.reprintButton.hidden = printed !== false || !this.till.config.printer;
  }

  async reprint() {
    if (this.busy) return;
    this.busy = true;
    say($("#done-print"), t("reprinting"), "ok");
    try {
      const { data } = await this.till.api.post(`/sales/${this.sale.id}/print`, {});
      this.#printStatus(data?.printed ?? true);
    } catch (err) {
      if (!this.till.handleAuth(err)) this.#printStatus(false, t("reprint_failed", { message: err.message }));
    } finally {
      this.busy = false;
    }
  }

  onKey(event) {
    const key = event.key;
    if (key === "c" || key === "C" || key === "F7") {
      event.preventDefault();
      if (!this.reprintButton.hidden) this.reprint();
    } else if (key === "Enter" || key === "Escape") {
      event.preventDefault();
      this.till.closeModal();
    } else if (/^\d$/.test(key)) {
      // The next buyer's first scan: start the new sale and keep the digit.
      event.preventDefault();
      this.till.closeModal();
      this.till.scan.value += key;
    }
  }
}

export class SessionDialog {
  constructor(till) {
    this.dialog = $("#session-dialog");
  }

  open() { openDialog(this.dialog, $("#login-link")); }
  close() { closeDialog(this.dialog); }
  onKey(event) {
    if (event.key === "Escape") event.preventDefault();
  }
}
