"""Falaj run logging for your own training code: parameters, tags, metrics and artifacts.

A job started as a Falaj run (``POST /api/v1/projects/<project>/runs`` with a ``command``) finds everything it needs
in its environment: ``FALAJ_API`` (the control plane's URL), ``FALAJ_JOB_TOKEN`` (the job-scoped token, valid only
while the job's lease lasts), ``FALAJ_JOB_ID``, ``FALAJ_RUN_ID`` and ``FALAJ_OUTPUT_DIR`` (files written there are
uploaded as the run's artifacts when the job ends). This file has no dependencies beyond Python 3.8's standard
library; copy it next to your script.

    from falaj_client import Run
    run = Run()                      # reads the environment; raises FalajError outside a Falaj job
    run.log_params({"lr": 0.01, "epochs": 5})
    for epoch in range(5):
        run.log_metric("loss", loss, step=epoch)
    run.log_artifact("model.pt")     # or save straight into run.output_dir

The HTTP API it wraps (all with ``Authorization: Bearer $FALAJ_JOB_TOKEN``):
    POST /agent/v1/runs/<run>/params     {"params": {"name": "value"}, "tags": {"name": "value"}}   -> 204
    POST /agent/v1/jobs/<job>/events     {"events": [{"kind": "metric", "name", "step", "value", "time"}]}   -> 204
    PUT  /agent/v1/jobs/<job>/artifacts/<path>   raw bytes, header X-Falaj-SHA256: <hex>   -> 201
Errors come back as JSON problem documents; FalajError carries the status and the server's message.
"""

import hashlib
import json
import math
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone


class FalajError(Exception):
    """A refused or failed call; ``status`` is the HTTP status (0 when the server could not be reached)."""

    def __init__(self, status, message):
        super().__init__(f"{status}: {message}" if status else message)
        self.status = status
        self.message = message


class Run:
    """The current Falaj run, from the job's environment (or the arguments, for tests)."""

    def __init__(self, api=None, token=None, run_id=None, job_id=None, output_dir=None, retries=5):
        env = os.environ
        self.api = (api or env.get("FALAJ_API", "")).rstrip("/")
        self.token = token or env.get("FALAJ_JOB_TOKEN", "")
        self.run_id = run_id or env.get("FALAJ_RUN_ID", "")
        self.job_id = job_id or env.get("FALAJ_JOB_ID", "")
        self.output_dir = output_dir or env.get("FALAJ_OUTPUT_DIR", ".")
        self.retries = retries
        missing = [name for name, value in (("FALAJ_API", self.api), ("FALAJ_JOB_TOKEN", self.token),
                                            ("FALAJ_RUN_ID", self.run_id), ("FALAJ_JOB_ID", self.job_id)) if not value]
        if missing:
            raise FalajError(0, "not inside a Falaj run: " + ", ".join(missing) + " not set")

    # Parameters and tags -------------------------------------------------------------------------------------

    def log_params(self, params):
        """Merges parameters into the run (values are stored as text)."""
        self._post(f"/agent/v1/runs/{self.run_id}/params", {"params": {str(k): str(v) for k, v in params.items()}})

    def log_param(self, name, value):
        self.log_params({name: value})

    def set_tags(self, tags):
        """Merges tags into the run."""
        self._post(f"/agent/v1/runs/{self.run_id}/params", {"tags": {str(k): str(v) for k, v in tags.items()}})

    # Metrics -------------------------------------------------------------------------------------------------

    def log_metrics(self, metrics, step=0):
        """Logs several metrics at one step; a value that is not a finite number raises ValueError before sending."""
        for name, value in metrics.items():
            if not math.isfinite(float(value)):
                raise ValueError(f"metric {name!r} is {value}; only finite numbers can be logged")
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        events = [{"kind": "metric", "name": str(name), "step": int(step), "value": float(value), "time": now}
                  for name, value in metrics.items()]
        self._post(f"/agent/v1/jobs/{self.job_id}/events", {"events": events})

    def log_metric(self, name, value, step=0):
        self.log_metrics({name: value}, step=step)

    # Artifacts -----------------------------------------------------------------------------------------------

    def log_artifact(self, path, name=None):
        """Uploads a file as the artifact ``name`` (default: its file name); returns the server's receipt."""
        name = name or os.path.basename(path)
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        quoted = "/".join(urllib.parse.quote(part, safe="") for part in name.split("/"))
        with open(path, "rb") as handle:
            data = handle.read()
        return self._send("PUT", f"/agent/v1/jobs/{self.job_id}/artifacts/{quoted}", data,
                          {"Content-Type": "application/octet-stream", "X-Falaj-SHA256": digest.hexdigest()})

    # Plumbing ------------------------------------------------------------------------------------------------

    def _post(self, path, body):
        return self._send("POST", path, json.dumps(body).encode(), {"Content-Type": "application/json"})

    def _send(self, method, path, data, headers):
        headers = dict(headers, Authorization=f"Bearer {self.token}", Accept="application/json")
        delay = 0.5
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(self.api + path, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    text = response.read().decode() or "null"
                    return json.loads(text) if response.headers.get("Content-Type", "").startswith("application/json") else None
            except urllib.error.HTTPError as error:
                text = error.read().decode(errors="replace")
                try:
                    problem = json.loads(text)
                    message = problem.get("detail") or problem.get("title") or text
                except ValueError:
                    message = text
                if error.code in (429, 502, 503, 504) and attempt < self.retries:
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise FalajError(error.code, message) from None
            except (urllib.error.URLError, OSError) as error:
                if attempt < self.retries:
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise FalajError(0, f"cannot reach {self.api}: {error}") from None
