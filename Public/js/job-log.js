// Follows a running job's log on its page: the server rendered the log so far into <pre id="job-log">; this
// appends new output from the server-sent-event stream and reloads the page once the job has ended, so the final
// state, attempts and artifacts show. Without JavaScript or EventSource the rendered log stays as it is.
(function () {
  "use strict";
  var pre = document.getElementById("job-log");
  if (!pre || !window.EventSource || pre.getAttribute("data-final") === "true") return;
  var url = pre.getAttribute("data-stream");
  var after = pre.getAttribute("data-after");
  if (after) url += (url.indexOf("?") < 0 ? "?" : "&") + "after=" + encodeURIComponent(after);

  var source = new EventSource(url);
  var empty = document.getElementById("log-empty");

  function isNearBottom() {
    return pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;
  }

  source.onmessage = function (event) {
    var text;
    try { text = JSON.parse(event.data); } catch (e) { return; }
    if (typeof text !== "string" || text.length === 0) return;
    var follow = isNearBottom();
    pre.appendChild(document.createTextNode(text));
    if (empty) { empty.remove(); empty = null; }
    if (follow) pre.scrollTop = pre.scrollHeight;
  };

  source.addEventListener("end", function (event) {
    source.close();
    var state = document.getElementById("job-state");
    try { if (state) state.textContent = JSON.parse(event.data); } catch (e) { /* keep the old badge */ }
    window.setTimeout(function () { window.location.reload(); }, 800);
  });

  source.onerror = function () {
    // EventSource reconnects by itself (sending Last-Event-ID); stop only when it has given up.
    if (source.readyState === EventSource.CLOSED) source.close();
  };
})();
