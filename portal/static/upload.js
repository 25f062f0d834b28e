// Upload progress for the submissions form (htmx): a <progress> bar fed by htmx:xhr:progress, a size check
// before sending, and form errors (422, 409) swapped in like a success (htmx skips 4xx swaps by default).
(function () {
  // The form for an event: its own element (request events), or inside the swap target (htmx:beforeSwap is
  // fired on the target, #upload, whose detail.elt is then the target itself).
  function uploadForm(elt) {
    if (!elt || !elt.closest) return null;
    return elt.closest("form[data-upload]") || elt.querySelector("form[data-upload]");
  }

  function parts(form) {
    return { box: form.querySelector("[data-upload-progress]"), bar: form.querySelector("progress"),
             error: form.querySelector("[data-upload-error]"), button: form.querySelector("button[type=submit]") };
  }

  function showError(form, message) {
    const p = parts(form);
    p.error.textContent = message;
    p.error.hidden = false;
    p.box.hidden = true;
    p.button.disabled = false;
  }

  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = uploadForm(event.detail.elt);
    if (!form) return;
    let total = 0;
    form.querySelectorAll("input[type=file]").forEach((input) => {
      Array.from(input.files || []).forEach((file) => { total += file.size; });
    });
    if (total > Number(form.dataset.maxBytes || Infinity)) {
      event.preventDefault();
      showError(form, form.dataset.tooLarge);
      return;
    }
    const p = parts(form);
    p.error.hidden = true;
    p.bar.value = 0;
    p.box.hidden = false;
    p.button.disabled = true;
  });

  document.addEventListener("htmx:xhr:progress", (event) => {
    const form = uploadForm(event.detail.elt);
    if (!form || !event.detail.lengthComputable) return;
    const p = parts(form);
    p.bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
    p.bar.textContent = p.bar.value + "%";
  });

  document.addEventListener("htmx:beforeSwap", (event) => {
    const form = uploadForm(event.detail.elt);
    if (!form) return;
    if (event.detail.xhr.status === 422 || event.detail.xhr.status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    } else if (event.detail.xhr.status === 413) {
      showError(form, form.dataset.tooLarge);
    } else if (event.detail.xhr.status >= 400) {
      showError(form, "The upload failed. Nothing was saved: try again.");
    }
  });
})();
