// patgate console: progressive enhancement only. Every page works without this file.
// - [data-copy="ID"]: copies the value of #ID to the clipboard and says so in [data-copy-status="ID"].
// - form[data-confirm]: asks before the form is sent.
// - form[data-submit-once]: a second submit (a double click) is not sent; the server also refuses the form
//   sent again (its one-time key), this only spares the person a page saying so instead of their secret.

document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (!button) return;
  const id = button.getAttribute("data-copy");
  const field = document.getElementById(id);
  const status = document.querySelector(`[data-copy-status="${CSS.escape(id)}"]`);
  if (!field) return;
  try {
    await navigator.clipboard.writeText(field.value);
    if (status) status.textContent = "Copied.";
  } catch {
    // No clipboard access (an insecure origin, a refused permission): select it for Ctrl+C.
    field.focus();
    field.select();
    if (status) status.textContent = "Selected: press Ctrl+C to copy.";
  }
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
  if (event.defaultPrevented || !form.hasAttribute("data-submit-once")) return;
  if (form.hasAttribute("data-sent")) event.preventDefault();
  else form.setAttribute("data-sent", "");
});

// Back to a page kept in the back/forward cache: its forms can be sent again (the server decides).
window.addEventListener("pageshow", (event) => {
  if (event.persisted)
    for (const form of document.querySelectorAll("form[data-sent]")) form.removeAttribute("data-sent");
});

// A freshly shown secret gets the focus, so keyboard and screen-reader users land on it.
document.addEventListener("DOMContentLoaded", () => {
  const secret = document.getElementById("secret");
  if (secret) secret.focus();
});
