// The sale being rung up: lines with a snapshot of each product, kept in localStorage so a
// reload (or a crashed browser) gives the cashier back the same cart.
import { lineAmount } from "./format.js";

const VERSION = 1;

function snapshot(product) {
  return {
    sku: product.sku, name: product.name, unit: product.unit, price: product.price,
    category: product.category, subsidised: Boolean(product.subsidised), quota: product.quota ?? null,
    barcodes: product.barcodes ?? [],
  };
}

export class Cart {
  constructor(storageKey) {
    this.key = storageKey;
    this.lines = [];
    this.selected = -1;
  }

  static load(storageKey) {
    const cart = new Cart(storageKey);
    try {
      const saved = JSON.parse(localStorage.getItem(storageKey) || "null");
      if (saved?.version === VERSION && Array.isArray(saved.lines)) {
        cart.lines = saved.lines;
        cart.selected = Math.min(saved.selected ?? -1, cart.lines.length - 1);
      }
    } catch { /* a damaged entry: start empty */ }
    return cart;
  }

  save() {
    localStorage.setItem(this.key, JSON.stringify({ version: VERSION, lines: this.lines, selected: this.selected }));
  }

  get empty() { return this.lines.length === 0; }

  /** A line for this barcode that a new scan of the same code adds 1 to (never a weighed one). */
  lineForCode(code) {
    return this.lines.findIndex((l) => !l.weighed && l.code === code);
  }

  add(product, { milli = 1000, code = "", weighed = false } = {}) {
    const same = weighed ? -1 : this.lines.findIndex((l) => !l.weighed && l.sku === product.sku);
    if (same >= 0) {
      this.lines[same].milli += milli;
      this.lines[same].code ||= code;
      this.selected = same;
    } else {
      this.lines.push({ ...snapshot(product), milli, code, weighed });
      this.selected = this.lines.length - 1;
    }
    this.save();
    return this.selected;
  }

  /** Take the catalog's current price (and name) for every line of this product. */
  refresh(product) {
    for (const line of this.lines.filter((l) => l.sku === product.sku)) Object.assign(line, snapshot(product));
    this.save();
  }

  bump(index, milli = 1000) {
    this.lines[index].milli += milli;
    this.selected = index;
    this.save();
  }

  setQty(index, milli) {
    this.lines[index].milli = milli;
    this.save();
  }

  remove(index) {
    const [line] = this.lines.splice(index, 1);
    this.selected = Math.min(index, this.lines.length - 1);
    this.save();
    return line;
  }

  select(delta) {
    if (this.empty) return;
    const next = this.selected < 0 ? this.lines.length - 1 : this.selected + delta;
    this.selected = Math.max(0, Math.min(this.lines.length - 1, next));
    this.save();
  }

  clear() {
    this.lines = [];
    this.selected = -1;
    this.save();
  }

  total() {
    return this.lines.reduce((sum, l) => sum + lineAmount(l.price, l.milli), 0);
  }

  /** Which buyer details this sale needs (API.md Sales; DESIGN.md "Regulated goods"). */
  needs() {
    const regulated = this.lines.filter((l) => l.subsidised || l.quota);
    return {
      nik: regulated.map((l) => l.name),
      category: this.lines.some((l) => l.category === "lpg" && l.subsidised),
      reference: this.lines.some((l) => l.category === "pupuk" && l.subsidised),
    };
  }
}
