"""The SMB guided training flow in a real browser, from upload to a registered, promoted model.

The contract these tests hold the pages to:
- A dataset version page has form#train-form (select#train-target, select#train-algorithm with "" for the recommended
  default, input#train-experiment) and button#train-submit; success goes to /app/projects/<p>/runs/<n>.
- A run page has span#run-state (queued, leased, running, succeeded, failed, cancelled), p#run-live whose
  data-final says whether the run ended (/static/js/run-progress.js reloads the page until it has), and once a
  built-in run succeeded: table#run-metrics, table#confusion-matrix, table#feature-importances, div#run-charts with an
  SVG polyline per curve, and form#register-form (input#register-model) with button#register-submit, which goes to
  /app/projects/<p>/models/<model>/versions/<v>.
- /app/projects/<p>/runs has table#runs-table with a checkbox per run and form#compare-form (button#compare-submit),
  which opens table#compare-table.
- A model page has form#gates-form (input#gate-metric, input#gate-min, checkbox#gate-approval), form#promote-form
  (select#promote-version, input#promote-alias) with button#promote-submit, p#promotion-outcome after a request,
  table#promotions-table whose pending rows offer button.approve-submit to other reviewers, and strong#model-aliases.
- A model page has form#deploy-form (input#deploy-name, select#deploy-version, input#deploy-replicas) and
  button#deploy-submit, which goes to /app/deployments/<name>: table#variants-table says "serving" once a replica is
  ready, and form#try-form (one input per model input) with button#try-submit answers p#try-result ("Variant …
  predicts …") or p#try-error naming the bad field; form#traffic-form (weight_<variant>, reason) with
  button#traffic-submit changes the weights (p#traffic-error when they do not add up to 100), table#history-table lists
  the revisions and button#rollback-submit restores the previous one; form#variant-form (variant_name, variant_version)
  with button#variant-submit adds a variant with no traffic (p#variant-error when refused); form#canary-form
  (select candidate, steps, bake_seconds) with button#canary-submit begins a canary (p#canary-error when refused),
  p#canary-status describes the running one, button#canary-abort-submit ends it and table#canaries-table lists them;
  form#sampling-form (sample_percent) with button#sampling-submit sets payload logging (p#sampling-note says the share)
  and table#payloads-table lists the stored requests.
- No page logs a Content-Security-Policy violation.

The server runs with --local-agent, so the run has a CPU node. FALAJ_SCREENSHOTS=<dir> saves a PNG of each page.
"""

import os
import random
import tempfile
import time
import unittest

from harness import STRONG_PASSWORD, BrowserTestCase, FalajServer, unique_email

_RANDOM = random.Random(7)
CSV = "customer,usage,plan,tenure,churned\n" + "".join(
    f"c{i},{usage:.2f},{plan},{1 + i % 48},{'true' if usage + (1.5 if plan == 'free' else 0) + _RANDOM.uniform(-1.5, 1.5) < 4 else 'false'}\n"
    for i, usage, plan in ((i, _RANDOM.uniform(0, 10), ["free", "team", "pro"][i % 3]) for i in range(1, 501))
)
REVIEWER_PASSWORD = "reviewer-horse-battery-staple-7"


class TrainingFlowTest(BrowserTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = FalajServer(extra_args=["--local-agent"]).start()

    def upload(self, text):
        folder = tempfile.mkdtemp(prefix="falaj-upload-")
        path = os.path.join(folder, "customers.csv")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        self.find("input#upload-file", "the file input").send_keys(path)
        self.find("button#upload-submit", "the upload button").click()

    def wait_for_run(self, timeout=180):
        """Waits (bounded) on the run page, which reloads itself, until the run has ended; returns its state."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            live = self.driver.find_elements("css selector", "p#run-live")
            if live and live[0].get_attribute("data-final") == "true":
                return self.find("span#run-state", "the run's state").text
            time.sleep(1)
        self.fail(f"the run did not end within {timeout}s. {self.describe_page()}")

    def test_owner_trains_from_a_dataset_registers_and_a_reviewer_approves_the_promotion(self):
        owner = self.sign_up(region="me-central-1")
        self.open("/app/projects")
        self.submit_form("form#project-form", {"name": "Churn", "slug": "churn", "description": ""}, "button#project-submit")
        self.submit_form("form#dataset-form", {"name": "customers", "description": ""}, "button#dataset-submit")
        self.upload(CSV)
        self.wait_for_path("/app/projects/churn/datasets/customers/versions/1", "uploading the CSV")
        self.find("form#train-form", "the Train a model panel on the dataset version")
        self.screenshot("train-panel", "div#train-panel")
        self.submit_form("form#train-form", {"target": "churned", "algorithm": "", "experiment": ""}, "button#train-submit")
        self.wait_for_path("/app/projects/churn/runs/1", "starting the run")
        self.screenshot("run-live")
        self.assertEqual(self.wait_for_run(), "succeeded", f"the built-in run. {self.describe_page()}")
        self.screenshot("run-succeeded", height=2400)
        metrics = self.find("table#run-metrics", "the held-out metrics").text
        self.assertIn("roc_auc", metrics)
        self.assertIn("false", self.find("table#confusion-matrix", "the confusion matrix").text)
        self.assertIn("usage", self.find("table#feature-importances", "the feature importances").text)
        self.assertTrue(self.has("div#run-charts svg polyline"), "the loss curve is drawn")

        # A second run with logistic regression, then both compared side by side.
        self.open("/app/projects/churn/datasets/customers/versions/1")
        self.submit_form("form#train-form", {"target": "churned", "algorithm": "logistic", "experiment": ""}, "button#train-submit")
        self.wait_for_path("/app/projects/churn/runs/2", "starting the second run")
        self.assertEqual(self.wait_for_run(), "succeeded", f"the logistic run. {self.describe_page()}")
        self.open("/app/projects/churn/runs")
        for box in self.driver.find_elements("css selector", "table#runs-table input[type=checkbox]"):
            box.click()
        self.submit("button#compare-submit")
        compare = self.find("table#compare-table", "the comparison").text
        self.assertIn("logistic", compare)
        self.assertIn("boosted_trees", compare)
        self.screenshot("runs-compare", height=1600)

        self.open("/app/projects/churn/runs/1")
        self.submit_form("form#register-form", {"model": "churn"}, "button#register-submit")
        self.wait_for_path("/app/projects/churn/models/churn/versions/1", "registering the run's model")
        self.assertIn("customers v1", self.find("dl#version-lineage", "the lineage").text)
        self.assertIn("usage", self.find("table#version-signature", "the signature").text)
        self.screenshot("model-version", height=1600)

        # A floor no model reaches blocks the promotion and says which gate failed.
        self.open("/app/projects/churn/models/churn")
        self.submit_form("form#gates-form", {"metric": "roc_auc", "min": "0.9999"}, "button#gates-submit")
        self.submit_form("form#promote-form", {"alias": "champion"}, "button#promote-submit")
        outcome = self.find("p#promotion-outcome", "the promotion's outcome").text
        self.assertIn("Blocked", outcome)
        self.assertIn("metric:roc_auc", outcome)
        self.assertIn("—", self.find("strong#model-aliases", "the aliases").text, "nothing moved")

        # A reachable floor and a required reviewer: the request waits, the owner cannot approve it, a reviewer does.
        self.submit_form("form#gates-form", {"metric": "roc_auc", "min": "0.5", "require_approval": True}, "button#gates-submit")
        self.submit_form("form#promote-form", {"alias": "champion", "reason": "first model"}, "button#promote-submit")
        self.assertIn("waits for a reviewer", self.find("p#promotion-outcome", "the outcome").text)
        self.assertFalse(self.has("button.approve-submit"), "the requester is not offered approval")
        self.screenshot("model-pending", height=1600)

        reviewer = unique_email("reviewer")
        self.open("/app/members")
        self.submit_form("form#invite-form", {"email": reviewer, "role": "ml_engineer"}, "button#invite-submit")
        link = self.find("a#invite-link", "the invitation link").get_dom_attribute("href")
        self.log_out()
        self.open(link)
        self.submit_form("form#accept-form", {"display_name": "Reviewer", "password": REVIEWER_PASSWORD}, "button#accept-submit")
        self.wait_for_path("/login", "accepting the invitation")
        self.log_in(reviewer, REVIEWER_PASSWORD)
        self.open("/app/projects/churn/models/churn")
        self.submit("button.approve-submit")
        self.assertIn("'champion' now points at version 1", self.find("p#promotion-outcome", "the outcome").text)
        self.assertIn("champion → v1", self.find("strong#model-aliases", "the aliases").text)
        history = self.find("table#promotions-table", "the promotion history").text
        self.assertIn("approved by Reviewer", history, "members are shown by name")
        self.screenshot("model-promoted", height=1600)

        # Deploy the champion and ask it something through the gateway.
        self.submit_form("form#deploy-form", {"name": "churn-api", "version": "1", "replicas": "1"}, "button#deploy-submit")
        self.wait_for_path("/app/deployments/churn-api", "deploying the model")
        deadline = time.monotonic() + 90
        while "serving" not in self.find("table#variants-table", "the variants").text.replace("not serving", ""):
            self.assertLess(time.monotonic(), deadline, f"the replica never served. {self.describe_page()}")
            time.sleep(1)
            self.open("/app/deployments/churn-api")
        self.submit_form("form#try-form", {"usage": "2.5", "plan": "free", "tenure": "10"}, "button#try-submit")
        result = self.find("p#try-result", "the prediction").text
        self.assertIn("Variant main (version 1) predicts", result)
        self.screenshot("deployment", height=1400)
        self.submit_form("form#try-form", {"usage": "lots", "plan": "free", "tenure": "10"}, "button#try-submit")
        self.assertIn("usage: expected float", self.find("p#try-error", "the refusal").text)
        self.submit_form("form#traffic-form", {"weight_main": "90", "reason": "oops"}, "button#traffic-submit")
        self.assertIn("add up to 100", self.find("p#traffic-error", "the traffic refusal").text)
        self.submit_form("form#traffic-form", {"weight_main": "100", "reason": "unchanged"}, "button#traffic-submit")
        self.assertIn("unchanged", self.find("table#history-table", "the traffic history").text)
        self.submit("button#rollback-submit")
        self.assertIn("rollback to revision 1", self.find("table#history-table", "the traffic history").text)
        self.screenshot("deployment-traffic", height=1600)

        # A second variant (no traffic), then a canary of it that is aborted by hand.
        self.submit_form("form#variant-form", {"variant_name": "main", "variant_version": "1"}, "button#variant-submit")
        self.assertIn("already", self.find("p#variant-error", "the variant refusal").text)
        self.submit_form("form#variant-form", {"variant_name": "challenger", "variant_version": "1"}, "button#variant-submit")
        self.assertIn("challenger", self.find("table#variants-table", "the variants").text)
        self.submit_form("form#canary-form", {"candidate": "challenger", "steps": "50, 10"}, "button#canary-submit")
        self.assertIn("increasing", self.find("p#canary-error", "the canary refusal").text)
        self.submit_form("form#canary-form", {"candidate": "challenger", "steps": "20, 60", "bake_seconds": "600"}, "button#canary-submit")
        status = self.find("p#canary-status", "the running canary").text
        self.assertIn("challenger is at step 1 of 2: 20% of the traffic", status)
        self.assertIn("canary of challenger, step 1 of 2: 20%", self.find("table#history-table", "the traffic history").text)
        self.screenshot("deployment-canary", height=2000)
        self.submit("button#canary-abort-submit")
        self.assertIn("aborted", self.find("table#canaries-table", "the canaries").text)
        self.assertIn("challenger 0% · main 100%", self.find("table#history-table", "the traffic history").text)

        # Payload logging: every request stored, shown under "Recent predictions".
        self.submit_form("form#sampling-form", {"sample_percent": "100"}, "button#sampling-submit")
        self.assertIn("100% of requests are stored", self.find("p#sampling-note", "the sampling note").text)
        time.sleep(1.2)  # past the gateway's one-second routing cache
        self.submit_form("form#try-form", {"usage": "4.5", "plan": "pro", "tenure": "7"}, "button#try-submit")
        self.find("p#try-result", "the prediction")
        self.open("/app/deployments/churn-api")
        self.assertIn('"usage": 4.5', self.find("table#payloads-table", "the stored payloads").text)
        self.screenshot("deployment-payloads", height=2600)
        self.assertEqual(self.csp_violations(), [], "pages must not trip the Content-Security-Policy")
        self.assertTrue(owner.email)


if __name__ == "__main__":
    unittest.main()
