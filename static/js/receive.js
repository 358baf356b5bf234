// Line rows of the receive-goods and write-off forms (the forms work without this script).
// - "Add a row" copies the last row with the next index (lines-N-code, lines-N-qty, ...).
// - A barcode scanner types the code and Enter: Enter in a code cell moves to its quantity
//   instead of submitting the form.
// - After a code is typed or scanned, the product's name and unit are shown beside it
//   (looked up through the JSON API with the page's session cookie).

const table = document.querySelector("[data-line-rows]");
const addButton = document.querySelector("[data-add-row]");

function renumber(row, index) {
  row.dataset.row = String(index);
  row.cells[0].textContent = String(index + 1);
  for (const input of row.querySelectorAll("input")) {
    input.name = input.name.replace(/^lines-\d+-/, `lines-${index}-`);
    input.value = "";
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
  for (const node of row.querySelectorAll(".field-error")) node.remove();
  for (const out of row.querySelectorAll("output")) out.textContent = "";
}

function addRow() {
  const body = table.tBodies[0];
  const last = body.rows[body.rows.length - 1];
  const row = last.cloneNode(true);
  renumber(row, Number(last.dataset.row) + 1);
  body.append(row);
  row.querySelector("[data-code]").focus();
}

async function describe(input) {
  const out = input.closest("tr").querySelector("[data-product]");
  const code = input.value.trim();
  out.textContent = "";
  out.classList.remove("unknown");
  if (!code) return;
  try {
    const res = await fetch(`/api/v1/products?q=${encodeURIComponent(code)}&page_size=2`, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!res.ok) return;
    const found = (await res.json()).filter(
      (p) => p.sku === code || p.barcodes.includes(code),
    );
    if (found.length === 1) {
      out.textContent = `${found[0].name} (${found[0].unit})`;
    } else {
      out.textContent = "?";
      out.classList.add("unknown");
    }
  } catch {
    // Offline or the server is restarting: the form still works without the name.
  }
}

if (table) {
  if (addButton) {
    addButton.hidden = false;
    addButton.addEventListener("click", addRow);
  }
  table.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("[data-code]")) {
      event.preventDefault();
      event.target.closest("tr").querySelector("input.qty").focus();
    }
  });
  table.addEventListener("change", (event) => {
    if (event.target.matches("[data-code]")) describe(event.target);
  });
  for (const input of table.querySelectorAll("[data-code]")) {
    if (input.value.trim()) describe(input);
  }
}
