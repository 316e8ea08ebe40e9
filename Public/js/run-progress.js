// Keeps a run's page current while its job runs: reloads it every three seconds until the run has ended, so the
// progress bar, metrics and the final report appear without the user refreshing. Without JavaScript the page says
// to reload it.
(function () {
  "use strict";
  var marker = document.getElementById("run-live");
  if (!marker || marker.getAttribute("data-final") === "true") return;
  window.setTimeout(function () { window.location.reload(); }, 3000);
})();
