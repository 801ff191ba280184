// Lists: "/" focuses the list's filter (the element marked data-filter), as in most tools.
// Progressive enhancement only: the filter is a plain GET form that works without it.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const active = document.activeElement;
  if (active && (active.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName))) return;
  const filter = document.querySelector("[data-filter]");
  if (!filter) return;
  event.preventDefault();
  filter.focus();
  if (typeof filter.select === "function") filter.select();
});
