"""Compute jobs and nodes in a real browser.

The contract these tests hold the pages to:
- /app/jobs: form#job-form (name, command, cpu, memory, gpus, nodes, region select with "" for any allowed
  region), button#job-submit; success goes to /app/jobs/<id>. A job table#jobs-table row links to it.
- /app/jobs/<id>: span#job-state with the state word, pre#job-log (filled live by /static/js/job-log.js
  through EventSource when the job is not final), form#cancel-form with button#cancel-submit while it is
  not final; after cancelling the page says "cancelled".
- /app/nodes: form#join-token-form (region, labels, max_uses, expires_hours), button#join-token-submit;
  the answer shows code#new-join-token and code#join-command ("falaj-agent --server … --join-token …").
- No page logs a Content-Security-Policy violation (the CSP forbids inline scripts).
"""

import re
import unittest

from harness import BrowserTestCase


class JobsFlowTest(BrowserTestCase):
    def test_owner_submits_a_command_job_watches_it_and_cancels_it(self):
        self.sign_up(region="eu-west-1")
        self.open("/app/jobs")
        self.find("form#job-form", "the submit-a-job form at /app/jobs")
        fields = {"name": "browser job", "command": "python -c print(1)", "cpu": "1", "memory": "256", "gpus": "0", "nodes": "1", "region": ""}
        self.submit_form("form#job-form", fields, "button#job-submit")
        self.assertRegex(self.path(), r"^/app/jobs/[0-9a-f-]{36}$", f"submitting the job form. {self.describe_page()}")
        job_path = self.path()

        state = self.find("span#job-state", "the job's state badge")
        self.assertIn(state.text, {"queued", "leased", "running"}, f"a fresh job's state. {self.describe_page()}")
        log = self.find("pre#job-log", "the job's log")
        self.assertEqual(log.get_attribute("data-stream"), job_path + "/log", "the log's event-stream URL")
        scripts = [s.get_attribute("src") or "" for s in self.driver.find_elements("css selector", "script")]
        self.assertTrue(any(src.endswith("/static/js/job-log.js") for src in scripts), f"job-log.js is loaded: {scripts}")
        status, _ = self.http_get("/static/js/job-log.js")
        self.assertEqual(status, 200, "GET /static/js/job-log.js")

        self.submit("button#cancel-submit")
        self.assertEqual(self.path(), job_path, f"cancelling stays on the job page. {self.describe_page()}")
        self.assertEqual(self.find("span#job-state", "the state badge after cancelling").text, "cancelled")
        self.assertFalse(self.has("form#cancel-form"), "no cancel button on a cancelled job")

        self.open("/app/jobs")
        link = self.find(f'table#jobs-table a[href="{job_path}"]', "the job in the jobs table")
        self.assertEqual(link.text, "browser job")
        self.assertEqual(self.csp_violations(), [], "pages must not trip the Content-Security-Policy")

    def test_owner_creates_a_join_token_and_sees_the_command_once(self):
        self.sign_up(region="eu-west-1")
        self.open("/app/nodes")
        fields = {"region": "eu-west-1", "labels": "gpu=none, rack=browser", "max_uses": "1", "expires_hours": "24"}
        self.submit_form("form#join-token-form", fields, "button#join-token-submit")
        token = self.find("code#new-join-token", "the new join token").text
        command = self.find("code#join-command", "the join command").text
        self.assertTrue(re.match(r"^falaj-agent --server \S+ --join-token " + re.escape(token) + "$", command), command)
        self.open("/app/nodes")
        self.assertNotIn(token, self.driver.page_source, "the token is shown only once")
        self.assertIn("rack=browser", self.find("table#join-tokens-table", "the join-tokens table").text)


if __name__ == "__main__":
    unittest.main()
