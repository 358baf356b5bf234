// Weight-embedded EAN-13 labels from a shop scale, read as inventory/barcodes.py reads them.
// The layout letters: P prefix, I item code, W grams, V value in Rupiah, X skipped, C check digit.

/** GS1 mod-10 check digit of a GTIN body (weights 3,1 from the right). */
export function gtinCheckDigit(body) {
  let total = 0;
  for (let i = 0; i < body.length; i++) {
    const digit = body.charCodeAt(body.length - 1 - i) - 48;
    total += digit * (i % 2 === 0 ? 3 : 1);
  }
  return (10 - (total % 10)) % 10;
}

export function isValidGtin(code) {
  return /^\d+$/.test(code) && [8, 12, 13].includes(code.length) &&
    gtinCheckDigit(code.slice(0, -1)) === Number(code.at(-1));
}

function run(pattern, letter) {
  const first = pattern.indexOf(letter);
  return first < 0 ? null : [first, pattern.lastIndexOf(letter) + 1];
}

/** The server's (already checked) layout pattern, e.g. "PPIIIIIWWWWWC", as digit ranges. */
export function compileLayout(pattern) {
  if (!pattern || pattern.length !== 13) return null;
  return { prefix: run(pattern, "P"), item: run(pattern, "I"), weight: run(pattern, "W"), value: run(pattern, "V") };
}

const cut = (code, range) => (range ? code.slice(range[0], range[1]) : null);

/**
 * A scale label, or null when `code` is not a valid EAN-13 starting with 2.
 * `plu` is the product barcode the label maps to: its prefix digits then its item digits
 * (PPIIIIIWWWWWC label 2000001012503 -> "2000001"), registered on the product by the manager.
 */
export function parseScaleBarcode(code, layout) {
  if (!layout || code.length !== 13 || code[0] !== "2" || !isValidGtin(code)) return null;
  const item = cut(code, layout.item);
  const grams = cut(code, layout.weight);
  const value = cut(code, layout.value);
  return {
    plu: cut(code, layout.prefix) + item,
    itemCode: item,
    weightMilli: grams === null ? null : Number(grams), // grams are thousandths of a kilogram
    value: value === null ? null : Number(value),
  };
}
