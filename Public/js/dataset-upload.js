// Uploads the chosen file as the dataset's next version, streamed (XMLHttpRequest sends the File without reading it
// into memory) with a progress bar; the page's CSRF token goes in the X-CSRF-Token header. On success the browser moves
// to the new version's page; on refusal the reasons (and the first rows left out) are listed under the form.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) return;
  var file = document.getElementById("upload-file");
  var progress = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var problems = document.getElementById("upload-problems");
  var button = document.getElementById("upload-submit");

  function showProblems(lines) {
    problems.textContent = "";
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.textContent = line;
      problems.appendChild(p);
    });
    problems.hidden = lines.length === 0;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var chosen = file.files && file.files[0];
    if (!chosen) { showProblems(["Choose a file to upload."]); return; }
    var name = chosen.name.toLowerCase();
    var format = /\.(jsonl|ndjson|json)$/.test(name) ? "jsonl" : "csv";
    var query = "format=" + format + "&on_error=" + encodeURIComponent(form.elements.on_error.value) +
      "&filename=" + encodeURIComponent(chosen.name);
    var columns = form.elements.columns.value.trim();
    if (columns) query += "&columns=" + encodeURIComponent(columns);

    var request = new XMLHttpRequest();
    request.open("POST", form.getAttribute("data-action") + "?" + query);
    request.setRequestHeader("X-CSRF-Token", form.getAttribute("data-csrf"));
    request.setRequestHeader("Content-Type", format === "jsonl" ? "application/x-ndjson" : "text/csv");
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var percent = Math.floor(e.loaded / e.total * 100);
      progress.value = percent;
      status.textContent = "Uploading… " + percent + "%";
      if (e.loaded === e.total) status.textContent = "Checking and storing the last rows…";
    });
    request.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(request.responseText); } catch (ignored) {}
      if (request.status === 201 && body.version) {
        status.textContent = "Stored as version " + body.version.version + ".";
        window.location.assign(window.location.pathname.replace(/\/versions\/\d+$/, "") + "/versions/" + body.version.version);
        return;
      }
      button.disabled = false;
      progress.hidden = true;
      status.textContent = "";
      var lines = [body.detail || ("The upload failed (" + request.status + ").")];
      if (body.errors) Object.keys(body.errors).forEach(function (key) { lines.push(body.errors[key]); });
      (body.rejected_rows || []).slice(0, 20).forEach(function (row) {
        lines.push("Line " + row.line + (row.column ? ", column '" + row.column + "'" : "") + ": " + row.reason);
      });
      showProblems(lines);
    });
    request.addEventListener("error", function () {
      button.disabled = false;
      progress.hidden = true;
      status.textContent = "";
      showProblems(["The connection broke during the upload; nothing was stored. Try again."]);
    });
    showProblems([]);
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    status.textContent = "Uploading… 0%";
    request.send(chosen);
  });
})();
