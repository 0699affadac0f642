// The channel page asks for the QR every few seconds while the channel connects (the server asks
// the provider for a fresh one now and then), and stops once it is connected.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var panel = document.getElementById("channel-panel");
  if (!panel) return;
  var seconds = parseInt(panel.getAttribute("data-seconds"), 10) || 5;
  var image = document.getElementById("channel-qr");
  var help = document.getElementById("channel-qr-help");
  var status = document.getElementById("channel-status");

  function tick() {
    fetch(panel.getAttribute("data-qr-url"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        panel.setAttribute("data-status", data.status);
        status.textContent = data.status_label;
        if (data.qr) {
          image.src = data.qr;
          image.hidden = false;
        } else {
          image.hidden = true;
        }
        help.hidden = data.status !== "connecting";
        panel.setAttribute("data-refreshed-at", String(Date.now()));
        if (data.status === "connecting") window.setTimeout(tick, seconds * 1000);
      })
      .catch(function () { window.setTimeout(tick, seconds * 1000); });
  }

  if (panel.getAttribute("data-status") === "connecting") window.setTimeout(tick, seconds * 1000);

  // "Desconectar" asks first (the phone is logged out).
  document.querySelectorAll(".channel-action[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
});
