// F2 or "/": find a product by name, choose with the arrow keys, Enter adds it.
import { $, closeDialog, el, openDialog, say, t } from "./dom.js";
import { formatRupiah } from "./format.js";

export class SearchDialog {
  constructor(till) {
    this.till = till;
    this.dialog = $("#search-dialog");
    this.input = $("#search-input");
    this.list = $("#search-results");
    this.message = $("#search-message");
    this.results = [];
    this.active = 0;
    this.timer = null;
    this.seq = 0;
    this.input.addEventListener("input", () => this.#schedule());
    this.list.addEventListener("click", (event) => {
      const item = event.target.closest("li");
      if (item) this.#choose(Number(item.dataset.index));
    });
  }

  open() {
    this.input.value = "";
    this.results = [];
    this.#render();
    say(this.message, "");
    openDialog(this.dialog, this.input);
  }

  close() {
    clearTimeout(this.timer);
    closeDialog(this.dialog);
  }

  onKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      this.till.closeModal();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!this.results.length) return;
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.active = (this.active + step + this.results.length) % this.results.length;
      this.#render();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (this.timer) this.#search().then(() => this.#choose(this.active));
      else this.#choose(this.active);
    }
  }

  #schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.#search(), 150);
  }

  async #search() {
    clearTimeout(this.timer);
    this.timer = null;
    const q = this.input.value.trim();
    const seq = ++this.seq;
    if (!q) {
      this.results = [];
      this.#render();
      return;
    }
    say(this.message, t("searching"), "ok");
    try {
      const { data } = await this.till.api.get(`/products?q=${encodeURIComponent(q)}&page_size=20`);
      if (seq !== this.seq) return;
      this.results = data || [];
      this.active = 0;
      say(this.message, this.results.length ? "" : t("search_none", { q }));
    } catch (err) {
      if (seq !== this.seq) return;
      this.results = [];
      say(this.message, err.message);
      this.till.handleAuth(err);
    }
    this.#render();
  }

  #render() {
    this.list.replaceChildren(...this.results.map((p, i) => {
      const item = el("li", { role: "option", "aria-selected": String(i === this.active), dataset: { index: i } },
        el("span", { class: "r-name" }, p.name),
        el("span", { class: "r-sku" }, p.sku),
        el("span", { class: "r-price" }, `${formatRupiah(p.price)} / ${p.unit}`));
      if (i === this.active) item.classList.add("active");
      return item;
    }));
    this.list.querySelector(".active")?.scrollIntoView({ block: "nearest" });
  }

  #choose(index) {
    const product = this.results[index];
    if (!product) return;
    this.till.closeModal();
    this.till.addProduct(product, {});
  }
}
