// Move focus to an error summary so screen-reader and keyboard users hear the problems first.
function focusErrorSummary(root) {
  const summary = (root || document).querySelector("[data-autofocus]");
  if (summary) summary.focus();
}
document.addEventListener("DOMContentLoaded", () => focusErrorSummary(document));
document.addEventListener("htmx:afterSettle", (event) => focusErrorSummary(event.detail.elt));
