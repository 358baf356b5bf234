// The till page: the sale on screen, the scanner (a keyboard typing digits and Enter), and
// one key for every action. Dialogs take the keyboard while they are open.
import { createApi } from "./api.js";
import { Cart } from "./cart.js";
import { ConfirmDialog, DoneDialog, QtyDialog, SessionDialog } from "./dialogs.js";
import { $, beep, el, say, t } from "./dom.js";
import { formatQty, formatRupiah, lineAmount, parseQty } from "./format.js";
import { SaleOutbox } from "./outbox.js";
import { PayDialog } from "./pay.js";
import { compileLayout, parseScaleBarcode } from "./scale.js";
import { SearchDialog } from "./search.js";
import { Shift } from "./shift.js";

class Till {
  constructor(config) {
    this.config = config;
    this.api = createApi({ base: config.api, csrf: config.csrf, text: t, onReachable: (ok) => this.#reachable(ok) });
    const key = `gerai.till.${config.user.username}`;
    this.cart = Cart.load(`${key}.cart`);
    this.pay = new PayDialog(this);
    this.outbox = new SaleOutbox(this.api, `${key}.pending`, { onStatus: (s) => this.pay.status(s) });
    this.search = new SearchDialog(this);
    this.shift = new Shift(this);
    this.qty = new QtyDialog(this);
    this.confirm = new ConfirmDialog(this);
    this.done = new DoneDialog(this);
    this.session = new SessionDialog(this);
    this.layout = compileLayout(config.scale.pattern);
    this.scan = $("#scan");
    this.modal = null;
    this.queue = Promise.resolve();
  }

  start() {
    document.addEventListener("keydown", (event) => this.onKey(event));
    $("#pay-button").addEventListener("click", () => this.startPayment());
    this.render();
    if (this.outbox.pending) {
      this.modal = this.pay; // a sale was being sent when the page went away: go on sending it
      this.pay.resume();
    }
    this.shift.load();
    if (!this.modal) this.scan.focus();
    document.body.dataset.ready = "1";
  }

  openModal(dialog, ...args) {
    if (this.modal) this.closeModal();
    this.modal = dialog;
    dialog.open(...args);
  }

  closeModal() {
    const dialog = this.modal;
    this.modal = null;
    dialog?.close();
    this.scan.focus();
  }

  onKey(event) {
    if (this.modal) return this.modal.onKey(event);
    const { key } = event;
    const act = (fn) => { event.preventDefault(); fn(); };
    if (key === "F2" || key === "/") act(() => this.openModal(this.search));
    else if (key === "F4" || key === "*") act(() => this.changeQty());
    else if (key === "ArrowUp" || key === "ArrowDown") act(() => { this.cart.select(key === "ArrowUp" ? -1 : 1); this.render(); });
    else if (key === "Delete" && !this.scan.value) act(() => this.removeSelected());
    else if (key === "F8") act(() => this.voidSale());
    else if (key === "F9") act(() => { this.queue = this.queue.then(() => this.startPayment()); });
    else if (key === "F10") act(() => this.closeShift());
    else if (key === "Enter" && event.target === this.scan) act(() => this.onScan());
    else if (key === "Escape") act(() => { this.scan.value = ""; this.scanMessage(""); });
    else if (event.target !== this.scan && key.length === 1 && !event.ctrlKey && !event.altKey && !event.metaKey) {
      this.scan.focus(); // the key then types into the scan field
    }
  }

  onScan() {
    const code = this.scan.value.trim();
    this.scan.value = "";
    if (!code) {
      this.queue = this.queue.then(() => this.startPayment());
      return;
    }
    this.queue = this.queue.then(() => this.addByCode(code));
  }

  async addByCode(code) {
    const known = this.cart.lineForCode(code);
    if (known >= 0) {
      this.cart.bump(known);
      this.scanMessage("");
      return this.render();
    }
    try {
      const label = /^2\d{12}$/.test(code) ? parseScaleBarcode(code, this.layout) : null;
      if (label) return await this.#addScaleLabel(code, label);
      const product = await this.#findByCode(code);
      if (product) return this.addProduct(product, { code });
      const scaleOff = /^2\d{12}$/.test(code) && this.config.scale.problem;
      this.scanError(scaleOff ? t("scale_off", { problem: this.config.scale.problem }) : t("not_found", { code }));
    } catch (err) {
      if (!this.handleAuth(err)) this.scanError(t("lookup_failed", { code, message: err.message }));
    }
  }

  /** A product whose barcode (or SKU) is exactly `code`: the search also matches names. */
  async #findByCode(code) {
    const { data } = await this.api.get(`/products?q=${encodeURIComponent(code)}&page_size=5`);
    const sku = code.toLowerCase();
    return (data || []).find((p) => (p.barcodes || []).includes(code) || p.sku.toLowerCase() === sku) || null;
  }

  async #addScaleLabel(code, label) {
    const product = await this.#findByCode(label.plu);
    if (!product) {
      const packed = await this.#findByCode(code); // a store code that merely looks like a label
      if (packed) return this.addProduct(packed, { code });
      return this.scanError(t("scale_unknown", { code, plu: label.plu }));
    }
    if (!this.config.fractional_units.includes(product.unit))
      return this.scanError(t("scale_not_weighed", { name: product.name, unit: product.unit }));
    const milli = label.weightMilli ?? (label.value !== null && product.price > 0
      ? Math.round((label.value * 1000) / product.price) : null);
    if (!milli) return this.scanError(t("scale_no_qty"));
    this.addProduct(product, { code, milli, weighed: true });
  }

  addProduct(product, { code = "", milli = 1000, weighed = false }) {
    this.cart.add(product, { code, milli, weighed });
    if (product.on_hand !== undefined && product.on_hand !== null && Number(product.on_hand) <= 0) {
      this.scanError(`${product.name}: ${t("out_of_stock")}`);
    } else {
      this.scanMessage("");
    }
    this.render();
  }

  /** Set a line's quantity from typed text; returns a problem to show, or null. */
  applyQty(index, text) {
    const line = this.cart.lines[index];
    const parsed = parseQty(text);
    if (parsed.error) return t(parsed.error === "places" ? "qty_places" : "qty_invalid");
    if (!this.config.fractional_units.includes(line.unit) && parsed.milli % 1000 !== 0)
      return t("qty_whole", { name: line.name, unit: line.unit });
    this.cart.setQty(index, parsed.milli);
    this.render();
    return null;
  }

  changeQty() {
    const index = this.cart.selected;
    if (index < 0) return this.scanError(t("select_first"));
    const typed = this.scan.value.trim();
    if (!typed) return this.openModal(this.qty, index);
    this.scan.value = "";
    const problem = this.applyQty(index, typed);
    if (problem) this.scanError(problem);
    else this.scanMessage("");
  }

  removeSelected() {
    const index = this.cart.selected;
    if (index < 0) return this.scanError(t("select_first"));
    const line = this.cart.remove(index);
    this.scanMessage(t("line_removed", { name: line.name }), "ok");
    this.render();
  }

  voidSale() {
    if (this.cart.empty) return;
    this.openModal(this.confirm, {
      title: t("void_title"), text: t("void_text", { n: this.cart.lines.length }),
      onYes: () => { this.cart.clear(); this.scanMessage(""); this.render(); },
    });
  }

  startPayment() {
    if (this.modal) return;
    if (this.cart.empty) return this.scanError(t("cart_empty"));
    if (!this.shift.current) return this.openModal(this.shift, "open");
    this.openModal(this.pay);
  }

  closeShift() {
    if (!this.shift.current) return this.openModal(this.shift, "open");
    if (!this.cart.empty) return this.scanError(t("close_cart_not_empty"));
    this.openModal(this.shift, "close");
  }

  /** After the server found the sale underpaid: its prices moved since the scans; show the new ones. */
  async refreshPrices() {
    for (const sku of new Set(this.cart.lines.map((l) => l.sku))) {
      try {
        const { data } = await this.api.get(`/products/${encodeURIComponent(sku)}`);
        this.cart.refresh(data);
      } catch { /* keep what is on screen; the server has the last word anyway */ }
    }
    this.render();
  }

  saleDone(sale) {
    this.cart.clear();
    this.render();
    this.openModal(this.done, sale);
  }

  /** A signed-out answer: keep everything and ask the cashier to sign in again. */
  handleAuth(err) {
    if (err?.kind !== "auth") return false;
    this.openModal(this.session);
    return true;
  }

  async qrisPayload(amount) {
    const { data } = await this.api.get(`/qris/dynamic?amount=${amount}`);
    return data.payload;
  }

  scanMessage(message, kind = "error") {
    say($("#scan-message"), message, kind);
  }

  scanError(message) {
    this.scanMessage(message);
    beep();
  }

  #reachable(ok) {
    const node = $("#net-status");
    node.textContent = ok ? "" : t("offline");
    node.classList.toggle("error", !ok);
  }

  render() {
    const { lines, selected } = this.cart;
    $("#lines").replaceChildren(...lines.map((l, i) => el("tr", { class: i === selected ? "selected" : "", dataset: { sku: l.sku } },
      el("td", { class: "n" }, String(i + 1)),
      el("td", { class: "name" }, l.name, l.weighed ? el("small", {}, ` · ${t("weighed")}`) : ""),
      el("td", { class: "qty" }, `${formatQty(l.milli)} ${l.unit}`),
      el("td", { class: "price" }, formatRupiah(l.price)),
      el("td", { class: "amount" }, formatRupiah(lineAmount(l.price, l.milli))))));
    $("#lines .selected")?.scrollIntoView({ block: "nearest" });
    $("#cart-empty").hidden = lines.length > 0;
    const total = $("#total");
    total.textContent = formatRupiah(this.cart.total());
    total.style.setProperty("--chars", Math.max(total.textContent.length, 7));
    $("#item-count").textContent = lines.length ? t("lines_count", { n: lines.length }) : "";
    const needs = this.cart.needs();
    const hints = [];
    if (needs.nik.length) hints.push(t("needs_nik", { names: needs.nik.join(", ") }));
    if (needs.category) hints.push(t("needs_category"));
    if (needs.reference) hints.push(t("needs_reference"));
    $("#needs").replaceChildren(...hints.map((h) => el("p", {}, h)));
  }
}

const config = JSON.parse($("#till-config").textContent);
window.till = new Till(config);
window.till.start();
