// The kitchen ticket's "Imprimir" button (a static file: no inline script under the CSP).
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var button = document.getElementById("print-ticket");
  if (button) button.addEventListener("click", function () { window.print(); });
});
