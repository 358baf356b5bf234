// F9 (or Enter on an empty scan field): buyer details when the goods need them, then cash,
// QRIS or transfer, split as the buyer likes; the sale goes to the server once paid in full.
import { $, closeDialog, digitsOnly, el, openDialog, say, t } from "./dom.js";
import { formatRupiah, qtyToApi } from "./format.js";

const METHOD_KEYS = { t: "cash", q: "qris", r: "transfer" };
// More change than this is a scanned barcode in the amount field, not cash handed over.
const MAX_CHANGE = 1000000;
const QUICK_KEYS = ["p", "a", "s", "d", "f", "g"];

export class PayDialog {
  constructor(till) {
    this.till = till;
    this.dialog = $("#pay-dialog");
    this.amount = $("#amount");
    this.nik = $("#nik");
    this.reference = $("#reference");
    this.payments = [];
    this.method = "cash";
    this.qris = null;
    this.saving = false;
    this.amount.addEventListener("input", () => { digitsOnly(this.amount); this.#previewChange(); });
    this.nik.addEventListener("input", () => { digitsOnly(this.nik); say($("#nik-message"), ""); });
    for (const button of this.dialog.querySelectorAll("[data-method]")) {
      button.addEventListener("click", () => this.#setMethod(button.dataset.method));
    }
    $("#quick-cash").addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (button) this.#pay(Number(button.dataset.amount));
    });
    $("#qris-ok").addEventListener("click", () => this.#qrisReceived());
    $("#qris-cancel").addEventListener("click", () => this.#qrisCancel());
  }

  get total() { return this.till.cart.total(); }
  get paid() { return this.payments.reduce((sum, p) => sum + p.amount, 0); }
  get remaining() { return Math.max(0, this.total - this.paid); }

  open() {
    this.payments = [];
    this.qris = null;
    this.saving = false;
    this.needs = this.till.cart.needs();
    this.nik.value = "";
    this.reference.value = "";
    for (const radio of this.dialog.querySelectorAll("[name=buyer_category]")) radio.checked = false;
    this.#showBuyerFields();
    say($("#pay-message"), "");
    say($("#pay-status"), "");
    this.#setMethod("cash", false);
    openDialog(this.dialog);
    this.#fields()[0].focus();
  }

  /** Reopen on a sale that was being sent when the page was reloaded, and go on sending it. */
  resume() {
    this.needs = this.till.cart.needs();
    this.payments = this.till.outbox.pending.sale.payments;
    this.#showBuyerFields();
    this.#render();
    openDialog(this.dialog);
    this.#send(this.till.outbox.resume());
  }

  close() { closeDialog(this.dialog); }

  #showBuyerFields() {
    const { nik, category, reference } = this.needs;
    $("#buyer").hidden = !nik.length;
    $("#buyer-why").textContent = nik.length ? t("why_prompt", { names: nik.join(", ") }) : "";
    $("#category-row").hidden = !category;
    $("#reference-row").hidden = !reference;
    say($("#nik-message"), "");
  }

  /** The inputs in the order Enter walks through them. */
  #fields() {
    const list = [];
    if (this.needs.nik.length) list.push(this.nik);
    if (this.needs.category) list.push(this.#categoryRadio());
    if (this.needs.reference) list.push(this.reference);
    list.push(this.amount);
    return list;
  }

  #categoryRadio() {
    return this.dialog.querySelector("[name=buyer_category]:checked") || this.dialog.querySelector("[name=buyer_category]");
  }

  get category() { return this.dialog.querySelector("[name=buyer_category]:checked")?.value ?? null; }

  /** The first buyer detail that is missing or malformed: [field, message] or null. */
  #buyerProblem() {
    if (this.needs.nik.length && !/^\d{16}$/.test(this.nik.value))
      return [this.nik, t("nik_digits", { n: this.nik.value.length })];
    if (this.needs.category && !this.category) return [this.#categoryRadio(), t("category_required")];
    if (this.needs.reference && !this.reference.value.trim()) return [this.reference, t("reference_required")];
    return null;
  }

  #showProblem([field, message]) {
    say(field === this.nik ? $("#nik-message") : $("#pay-message"), message);
    field.focus();
  }

  onKey(event) {
    if (this.saving) {
      event.preventDefault();
      return;
    }
    const target = event.target;
    if (this.qris) return this.#qrisKey(event);
    if (event.key === "Escape") {
      event.preventDefault();
      this.till.closeModal();
      return;
    }
    if (target.name === "buyer_category" && /^[1-4]$/.test(event.key)) {
      event.preventDefault();
      const radio = this.dialog.querySelectorAll("[name=buyer_category]")[Number(event.key) - 1];
      radio.checked = true;
      radio.focus();
      return;
    }
    const buyerField = target === this.nik || target === this.reference || target.name === "buyer_category";
    if (event.key === "Enter" && buyerField) {
      event.preventDefault();
      this.#next(target);
      return;
    }
    if (target === this.amount) this.#amountKey(event);
  }

  #next(field) {
    const problem = this.#buyerProblem();
    const fields = this.#fields();
    const at = field.name === "buyer_category" ? fields.findIndex((f) => f.name === "buyer_category") : fields.indexOf(field);
    if (problem && fields.indexOf(problem[0]) <= at) return this.#showProblem(problem);
    say($("#pay-message"), "");
    fields[at + 1]?.focus();
  }

  #amountKey(event) {
    const key = event.key.toLowerCase();
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    if (key in METHOD_KEYS) {
      event.preventDefault();
      this.#setMethod(METHOD_KEYS[key]);
    } else if (QUICK_KEYS.includes(key)) {
      event.preventDefault();
      const button = $(`#quick-cash [data-key="${key}"]`);
      if (button) this.#pay(Number(button.dataset.amount));
    } else if (event.key === "Enter") {
      event.preventDefault();
      const typed = this.amount.value;
      if (!typed && this.remaining === 0) return this.#finish();
      this.#pay(typed ? Number(typed) : this.remaining);
    } else if (event.key === "Backspace" && !this.amount.value && this.payments.length) {
      event.preventDefault();
      this.payments.pop();
      this.#render();
    } else if (event.key.length === 1 && !/\d/.test(event.key)) {
      event.preventDefault();
    }
  }

  #setMethod(method, focus = true) {
    this.method = method;
    for (const button of this.dialog.querySelectorAll("[data-method]")) {
      button.setAttribute("aria-selected", String(button.dataset.method === method));
    }
    this.#render();
    if (focus) this.amount.focus();
  }

  #pay(amount) {
    const msg = $("#pay-message");
    if (!Number.isSafeInteger(amount) || amount <= 0) return say(msg, t("amount_invalid"));
    if (this.method !== "cash" && amount > this.remaining)
      return say(msg, t("noncash_over", { amount: formatRupiah(this.remaining) }));
    if (amount - this.remaining >= MAX_CHANGE) {
      this.amount.select();
      return say(msg, t("amount_too_big", { amount: formatRupiah(amount) }));
    }
    say(msg, "");
    this.amount.value = "";
    if (this.method === "qris") return this.#qrisShow(amount);
    this.payments.push({ method: this.method, amount });
    this.#afterPayment();
  }

  #afterPayment() {
    this.#render();
    if (this.remaining === 0) this.#finish();
    else this.amount.focus();
  }

  async #qrisShow(amount) {
    const box = $("#qris-box");
    const img = $("#qris-img");
    this.qris = { amount, payload: null };
    box.hidden = false;
    img.removeAttribute("src");
    $("#qris-amount").textContent = t("qris_for", { amount: formatRupiah(amount) });
    say($("#qris-message"), t("qris_loading"), "ok");
    try {
      const payload = await this.till.qrisPayload(amount);
      if (this.qris?.amount !== amount) return;
      this.qris.payload = payload;
      img.dataset.payload = payload;
      img.src = `${this.till.config.qr_url}?data=${encodeURIComponent(payload)}`;
      say($("#qris-message"), "");
      $("#qris-ok").focus();
    } catch (err) {
      say($("#qris-message"), t("qris_failed", { message: err.message }));
      this.till.handleAuth(err);
    }
  }

  #qrisKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      this.#qrisCancel();
    } else if (event.key === "Enter") {
      event.preventDefault();
      this.#qrisReceived();
    }
  }

  #qrisReceived() {
    if (!this.qris?.payload) return;
    this.payments.push({ method: "qris", amount: this.qris.amount });
    this.#qrisCancel();
    this.#afterPayment();
  }

  #qrisCancel() {
    this.qris = null;
    $("#qris-box").hidden = true;
    this.amount.focus();
  }

  /** The change for the cash being typed, before it is added (cash only). */
  #previewChange() {
    const typed = Number(this.amount.value || 0);
    const change = this.method === "cash" && typed > this.remaining ? typed - this.remaining : 0;
    $("#pay-change-row").hidden = !change;
    $("#pay-change").textContent = formatRupiah(change);
  }

  #render() {
    this.#previewChange();
    $("#pay-total").textContent = formatRupiah(this.total);
    $("#pay-remaining").textContent = formatRupiah(this.remaining);
    $("#payments").replaceChildren(...this.payments.map((p) =>
      el("li", {}, el("span", {}, t(`method_${p.method}`)), el("b", {}, formatRupiah(p.amount)))));
    this.#renderQuick();
  }

  #renderQuick() {
    const box = $("#quick-cash");
    const due = this.remaining;
    if (this.method !== "cash" || due <= 0) return box.replaceChildren();
    const amounts = [due];
    for (const note of this.till.config.notes) {
      const next = Math.ceil(due / note) * note;
      if (next > due && !amounts.includes(next)) amounts.push(next);
    }
    amounts.sort((a, b) => a - b);
    box.replaceChildren(...amounts.slice(0, QUICK_KEYS.length).map((amount, i) =>
      el("button", { type: "button", dataset: { amount, key: QUICK_KEYS[i] } },
        el("kbd", {}, QUICK_KEYS[i].toUpperCase()), " ", i === 0 ? `${t("exact")} ${formatRupiah(amount)}` : formatRupiah(amount))));
  }

  #finish() {
    const problem = this.#buyerProblem();
    if (problem) return this.#showProblem(problem);
    const body = {
      lines: this.till.cart.lines.map((l) => ({ sku: l.sku, qty: qtyToApi(l.milli) })),
      payments: this.payments.map(({ method, amount }) => ({ method, amount })),
    };
    if (this.needs.nik.length) body.buyer_nik = this.nik.value;
    if (this.needs.category) body.buyer_category = this.category;
    if (this.needs.reference) body.subsidy_reference = this.reference.value.trim();
    this.#send(this.till.outbox.submit(body));
  }

  async #send(promise) {
    this.saving = true;
    this.dialog.classList.add("saving");
    say($("#pay-message"), "");
    try {
      const sale = await promise;
      this.saving = false;
      this.till.saleDone(sale);
    } catch (err) {
      this.saving = false;
      say($("#pay-status"), "");
      if (this.till.handleAuth(err)) return;
      say($("#pay-message"), t("refused", { message: err.message }));
      if (err.reason === "underpaid") {
        await this.till.refreshPrices(); // a price changed after the scan: what is due now
        this.#render();
      }
      const nikError = err.fieldErrors?.buyer_nik;
      if (nikError) this.#showProblem([this.nik, nikError.join(" ")]);
      else this.amount.focus();
    } finally {
      this.dialog.classList.remove("saving");
    }
  }

  /** What the outbox reports while sending: "Saving..." then "Saving... retrying (attempt n)". */
  status({ attempt, retrying }) {
    say($("#pay-status"), retrying ? t("retrying", { n: attempt }) : t("saving"), retrying ? "error" : "ok");
  }
}
