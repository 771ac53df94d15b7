// The header's menu on narrow screens: a disclosure button (aria-expanded, aria-controls) that shows and hides
// the main and account navigation. From the breakpoint in main.css up, the button is hidden and the menu always
// shown. Escape closes it and puts focus back on the button; following a link in it closes it, and so does a
// click outside the header.

/** Wire the toggle button to the menu it controls; returns close(). */
export function setUpMenu(button) {
  const menu = document.getElementById(button.getAttribute("aria-controls"));
  const header = button.closest("header") ?? document.body;
  const isOpen = () => button.getAttribute("aria-expanded") === "true";
  const set = (open) => {
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("is-open", open);
  };
  const close = () => set(false);

  button.addEventListener("click", () => set(!isOpen()));
  header.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !isOpen()) return;
    if (!menu.contains(event.target) && event.target !== button) return;
    close();
    button.focus();
  });
  menu.addEventListener("click", (event) => {
    if (event.target.closest("a")) close();
  });
  document.addEventListener("click", (event) => {
    if (isOpen() && !header.contains(event.target)) close();
  });
  window.addEventListener("hashchange", close);
  return close;
}
