// Where keyboard and screen-reader focus goes, on a page load and after every htmx swap (one rule for the whole
// portal, GOV.UK Design System style):
//   1. an error summary, when the page or the swapped part has one;
//   2. after a swap that took the focused control away (an approve button, a "Change" link, Save...):
//      the first field of a form that appeared, else the confirmation message (role=status: a polite live
//      region, so it is also announced), else the swapped part itself — never <body>;
//   3. on a page load after an action (a 303 to a page with a flash): the confirmation message.
// A swap that leaves the focused control in place (a filter's select, a search box) never moves focus.
(function () {
  const FIELD = "input:not([type=hidden]):not([disabled]):not(.hp input), select:not([disabled]), textarea:not([disabled])";
  const MESSAGE = "[role=status]:not(:empty), [role=alert]:not(:empty), .flash";

  function focusOn(element) {
    if (!element.matches("a[href], button, input, select, textarea, [tabindex]")) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus();
  }

  function within(roots, selector, keep) {
    for (const root of roots) {
      if (root.matches && root.matches(selector) && (!keep || keep(root))) return root;
      const found = Array.from(root.querySelectorAll ? root.querySelectorAll(selector) : [])
        .find((element) => !keep || keep(element));
      if (found) return found;
    }
    return null;
  }

  const visible = (element) => element.getClientRects().length > 0;
  const focusLost = () => !document.activeElement || document.activeElement === document.body ||
                          !document.activeElement.isConnected;

  function placeFocus(roots) {
    const summary = within(roots, "[data-autofocus]", visible);
    if (summary) return focusOn(summary);
    if (!focusLost()) return;
    const form = within(roots, "form", visible);
    const field = form && within([form], FIELD, visible);
    if (field) return focusOn(field);
    const message = within(roots, MESSAGE, visible);
    if (message) return focusOn(message);
    const first = roots.find(visible);
    if (first) focusOn(first);
  }

  // htmx fires afterSettle once per settled element (the swapped target and outerHTML out-of-band parts), and
  // oobBeforeSwap on each out-of-band target (an innerHTML out-of-band swap, like a notice, settles nothing):
  // gather them all and decide once, the main swap's parts first. An out-of-band target is looked at after the
  // swap (an outerHTML one is no longer connected then: its new element has settled instead).
  let settled = [];
  let outOfBand = [];
  const usable = (element) => element && element.isConnected && element !== document.body;
  document.addEventListener("htmx:oobBeforeSwap", (event) => {
    if (usable(event.detail.target)) outOfBand.push(event.detail.target);
  });
  document.addEventListener("htmx:afterSettle", (event) => {
    if (!usable(event.target)) return;
    if (!settled.length) {
      setTimeout(() => {
        const roots = settled.concat(outOfBand).filter((root) => root.isConnected);
        settled = [];
        outOfBand = [];
        placeFocus(roots);
        markTitle();
      }, 0);
    }
    settled.push(event.target);
  });

  // The page title starts "Error: " while the page shows an error summary (GOV.UK): the server writes it on a full
  // page; after a swap the page is the same document, so it is put on (or taken off) here.
  const ERROR = "Error: ";
  function markTitle() {
    const errors = Array.from(document.querySelectorAll(".error-summary")).some(visible);
    if (errors && !document.title.startsWith(ERROR)) document.title = ERROR + document.title;
    if (!errors && document.title.startsWith(ERROR)) document.title = document.title.slice(ERROR.length);
  }

  // An error summary's link moves focus to its field (a plain #link only scrolls), with the field's label — or the
  // question's legend, for a radio group or checkboxes — in view above it (GOV.UK's error summary does the same).
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    const field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    const fieldset = field.closest("fieldset");
    const legend = fieldset && fieldset.querySelector("legend");
    const label = legend || (field.id && document.querySelector(`label[for="${CSS.escape(field.id)}"]`));
    (label || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });

  document.addEventListener("DOMContentLoaded", () => {
    const summary = document.querySelector("[data-autofocus]");
    if (summary) return summary.focus();
    const flash = document.querySelector(".flashes");
    if (flash && !window.location.hash) focusOn(flash);
  });
})();

// Tables that stack on a phone (portal.css): each body cell gets its column's name as data-label, on a page load
// and on every part htmx swaps in.
(function () {
  function label(root) {
    const tables = root.matches && root.matches(".table-wrap table") ? [root]
      : Array.from(root.querySelectorAll ? root.querySelectorAll(".table-wrap table") : []);
    const wrap = root.closest && root.closest(".table-wrap table");
    if (wrap && !tables.includes(wrap)) tables.push(wrap);
    tables.forEach((table) => {
      const head = table.tHead && table.tHead.rows[0];
      const heads = head ? Array.from(head.cells, (cell) => cell.textContent.trim()) : [];
      Array.from(table.tBodies).forEach((body) => Array.from(body.rows).forEach((row) => {
        let column = 0;
        Array.from(row.cells).forEach((cell) => {
          // A row's header (th) is the block's title: it needs no label of its own.
          if (heads[column] && cell.tagName === "TD" && cell.colSpan === 1 && !cell.hasAttribute("data-label")) {
            cell.setAttribute("data-label", heads[column]);
          }
          column += cell.colSpan;
        });
      }));
      table.setAttribute("data-stacked", "");
    });
  }
  document.addEventListener("DOMContentLoaded", () => label(document));
  document.addEventListener("htmx:load", (event) => label(event.target));
})();

// GOV.UK character count: under a long text box, how many characters are left (or over), updated as the person
// types; a screen reader hears it once they pause (a separate polite live region, so it is not read on every key).
(function () {
  const number = (value) => value.toLocaleString("en-GB");
  function update(message, textarea, live) {
    const left = Number(message.dataset.characterCount) - textarea.value.length;
    const text = left >= 0 ? `You have ${number(left)} character${left === 1 ? "" : "s"} remaining`
      : `You have ${number(-left)} character${left === -1 ? "" : "s"} too many`;
    message.textContent = text;
    message.classList.toggle("field-error", left < 0);
    if (live) {
      clearTimeout(live.timer);
      live.timer = setTimeout(() => { live.textContent = text; }, 1000);
    }
  }
  function attach(root) {
    const messages = root.querySelectorAll ? root.querySelectorAll("[data-character-count]") : [];
    messages.forEach((message) => {
      const textarea = document.getElementById(message.id.replace(/-info$/, ""));
      if (!textarea || message.dataset.counting) return;
      message.dataset.counting = "yes";
      const live = document.createElement("div");
      live.className = "visually-hidden";
      live.setAttribute("aria-live", "polite");
      message.after(live);
      update(message, textarea, null);
      textarea.addEventListener("input", () => update(message, textarea, live));
    });
  }
  document.addEventListener("DOMContentLoaded", () => attach(document));
  document.addEventListener("htmx:load", (event) => attach(event.target));
})();
