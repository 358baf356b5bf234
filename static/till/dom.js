// Small helpers shared by the till's modules: element lookup, translated words, a beep.

export const $ = (selector, root = document) => root.querySelector(selector);

const words = JSON.parse(document.getElementById("till-text").textContent);

/** The page's translated word for `key`, with {name} placeholders filled in. */
export function t(key, vars = {}) {
  const template = words[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** Show a message (or clear it with ""); kind "error" paints it red. */
export function say(node, message, kind = "error") {
  node.textContent = message;
  node.classList.toggle("error", Boolean(message) && kind === "error");
  node.classList.toggle("ok", Boolean(message) && kind === "ok");
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

let audio = null;

/** A short low tone: the cashier is looking at the goods, not the screen, when a scan fails. */
export function beep() {
  try {
    audio ||= new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 220;
    gain.gain.value = 0.2;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.18);
  } catch { /* no audio device: the red message is enough */ }
}

/** Digits typed anywhere, e.g. "Rp 50.000" -> "50000" (amount fields keep only digits). */
export function digitsOnly(input) {
  const cleaned = input.value.replace(/\D/g, "");
  if (cleaned !== input.value) input.value = cleaned;
  return cleaned;
}

/** Open a <dialog> modally and make Esc ours: the till decides what Esc means in each dialog. */
export function openDialog(dialog, focus) {
  if (!dialog.open) dialog.showModal();
  if (focus) focus.focus();
}

export function closeDialog(dialog) {
  if (dialog.open) dialog.close();
}

for (const dialog of document.querySelectorAll("dialog")) {
  dialog.addEventListener("cancel", (event) => event.preventDefault());
}
