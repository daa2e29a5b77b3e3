// patgate console: progressive enhancement only. Every page works without this file.
// - [data-copy="ID"]: copies the value of #ID to the clipboard and says so in [data-copy-status="ID"].
// - form[data-confirm]: asks before the form is sent.

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
});

// A freshly shown secret gets the focus, so keyboard and screen-reader users land on it.
document.addEventListener("DOMContentLoaded", () => {
  const secret = document.getElementById("secret");
  if (secret) secret.focus();
});
