// Poll an import's progress and move the <progress> bar; reload when the matching is done.
(function () {
  "use strict";
  var bar = document.getElementById("import-progress");
  if (!bar) { return; }
  var text = document.getElementById("import-progress-text");
  function poll() {
    fetch(bar.dataset.url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (p) {
        bar.max = p.to_match || 1;
        bar.value = p.matched;
        if (text) { text.textContent = p.matched + " / " + p.to_match; }
        if (p.done) { window.location.reload(); } else { window.setTimeout(poll, 1500); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
