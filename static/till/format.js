// Money and quantities exactly as the server writes them (gerai/numbers.py): no floats, no Intl.

/** `Rp12.500`, `-Rp2.000`: "Rp", dot thousands, no space, no decimals (format_rupiah). */
export function formatRupiah(amount) {
  const n = Math.trunc(Number(amount) || 0);
  const digits = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  return (n < 0 ? "-" : "") + "Rp" + digits;
}

/** Whole Rupiah typed by a person ("50000", "50.000", "Rp50.000"), or null. */
export function parseRupiah(text) {
  const t = String(text ?? "").trim().replace(/^rp/i, "").replace(/[.\s]/g, "");
  if (!/^\d{1,13}$/.test(t)) return null;
  return Number(t);
}

/**
 * A typed quantity ("2", "1,5", "0.250") as integer thousandths: {milli} or {error}.
 * error is "invalid" (not a number above zero) or "places" (more than 3 decimals).
 */
export function parseQty(text) {
  const t = String(text ?? "").trim().replace(",", ".");
  const m = /^(\d{1,9})(?:\.(\d+))?$/.exec(t) || /^()\.(\d+)$/.exec(t);
  if (!m) return { error: "invalid" };
  const frac = m[2] || "";
  if (frac.replace(/0+$/, "").length > 3) return { error: "places" };
  const milli = Number(m[1] || "0") * 1000 + Number((frac + "000").slice(0, 3));
  return milli > 0 ? { milli } : { error: "invalid" };
}

/** The API's way to write a quantity: "1.250" (qty_str). */
export function qtyToApi(milli) {
  const whole = Math.trunc(milli / 1000);
  return `${whole}.${String(milli % 1000).padStart(3, "0")}`;
}

/** People's way: "2", "1,25", "1.000" (format_qty: decimal comma, dot thousands). */
export function formatQty(milli) {
  const whole = String(Math.trunc(milli / 1000)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  const frac = String(milli % 1000).padStart(3, "0").replace(/0+$/, "");
  return frac ? `${whole},${frac}` : whole;
}

/** price x quantity in whole Rupiah, half up, computed on integers (BigInt: never a float). */
export function lineAmount(price, milli) {
  return Number((BigInt(price) * BigInt(milli) + 500n) / 1000n);
}
