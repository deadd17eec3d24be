// Runs before the demo's module (a classic script): when that module cannot load or fails while
// starting, the page says so instead of "Starting…" forever.
(() => {
  const fail = (why) => {
    const show = () => {
      const state = document.getElementById("state");
      if (!state || document.documentElement.dataset.ready !== undefined) return;
      state.textContent = why;
      state.classList.add("failed");
      document.documentElement.dataset.ready = "failed";
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", show);
    else show();
  };
  document
    .querySelector('script[type="module"]')
    ?.addEventListener("error", () =>
      fail("Cannot start: the page's scripts did not load (is the SDK built? Run `npm run build`, then reload)."),
    );
  window.addEventListener("error", (event) => fail(`Cannot start: ${event.message}`));
})();
