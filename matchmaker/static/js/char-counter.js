// Live "n / max characters" under every field with a length limit (data-maxlength, data-counter).
// It counts as the server does: surrounding white space trimmed, a line break one character, and code
// points rather than UTF-16 units (so 𠀋 or 🙂 count once). The server still judges; this only warns early.
(function () {
  "use strict";
  var format = new Intl.NumberFormat(document.documentElement.lang || undefined);
  function serverLength(text) {
    return Array.from(text.replace(/\r\n/g, "\n").trim()).length;
  }
  function update(control) {
    var counter = document.getElementById(control.dataset.counter);
    var now = counter && counter.querySelector(".char-count-now");
    if (!now) { return; }
    var length = serverLength(control.value);
    now.textContent = format.format(length);
    counter.classList.toggle("over", length > Number(control.dataset.maxlength));
  }
  var controls = document.querySelectorAll("[data-maxlength][data-counter]");
  Array.prototype.forEach.call(controls, function (control) {
    control.addEventListener("input", function () { update(control); });
    update(control);  // the browser may have restored text on back/forward
  });
})();
