"""The feature store pages in a real browser: define an entity and a feature group, push a row, look it up.

The contract these tests hold the pages to:
- A project page links to its catalog with a#features-link (/app/projects/<slug>/features).
- The catalog has table#entities-table (or p#no-entities), form#entity-form (name, join_key, key_type, description)
  with button#entity-submit, form#feature-search (q, tag, owner, pii) with button#search-submit, table#groups-table
  (or p#no-groups) and form#group-form (name, entity, description, owner, tags, source, event_time_column,
  ttl_seconds, features: one name:type[:pii] per line) with button#group-submit. A refused form stays on the page
  with p.field-error next to each field; success goes to /app/projects/<slug>/feature-groups/<name>.
- A group's page shows code#push-endpoint (`POST /api/v1/feature-groups/<id>/push`), the versions (table#features-v<n>),
  the freshness (#online-entities) and form#lookup-form (key) with button#lookup-submit; a lookup shows
  table#lookup-table, or p#lookup-missing for an entity without values.
- No page logs a Content-Security-Policy violation.

FALAJ_SCREENSHOTS=<dir> saves a PNG of each page the test reaches (for looking at them).
"""

import json
import unittest
import urllib.error
import urllib.request

from selenium.webdriver.common.by import By

from harness import WAIT_SECONDS, BrowserTestCase


class FeaturesFlowTest(BrowserTestCase):
    def create_api_key(self):
        """Creates a key with data.read and data.write on /app/keys and returns its secret."""
        self.open("/app/keys")
        self.fill_form("form#key-form", {"name": "feature pipeline"})
        for permission in ("data.read", "data.write"):
            box = self.find(f'form#key-form input[name="permissions"][value="{permission}"]', f"the {permission} checkbox")
            if not box.is_selected():
                box.click()
        self.submit("button#key-submit")
        return self.find("code#new-api-key", "the new key's secret").text.strip()

    def push(self, path, key, rows):
        """POSTs rows to the push endpoint with the API key; returns (status, parsed body)."""
        request = urllib.request.Request(
            self.url(path),
            data=json.dumps({"rows": rows}).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def test_owner_defines_a_group_pushes_a_row_and_looks_it_up(self):
        self.sign_up(region="me-central-1")
        self.open("/app/projects")
        self.submit_form("form#project-form", {"name": "Churn model", "slug": "", "description": ""}, "button#project-submit")
        self.assertEqual(self.path(), "/app/projects/churn-model", f"creating the project. {self.describe_page()}")
        self.find("a#features-link", "the project's link to its features").click()
        catalog = "/app/projects/churn-model/features"
        self.wait_for_path(catalog, "following the Features link")
        self.assertTrue(self.has("p#no-entities"), "a new project has no entities")
        self.screenshot("features-empty")

        entity = {"name": "customer", "join_key": "customer_id", "key_type": "string", "description": "A paying customer"}
        self.submit_form("form#entity-form", entity, "button#entity-submit")
        self.assertEqual(self.path(), catalog, f"creating the entity. {self.describe_page()}")
        self.assertIn("customer_id", self.find("table#entities-table", "the entities table").text)

        group = {
            "name": "customer_stats", "entity": "customer", "description": "Weekly CRM aggregates", "owner": "Growth team",
            "tags": "crm, weekly", "source": "dbt: marts.customer_stats", "event_time_column": "event_time", "ttl_seconds": "",
            "features": "age:int:personal\nspend_30d:number\nplan:category",
        }
        self.submit_form("form#group-form", group, "button#group-submit")
        errors = " ".join(e.text for e in self.driver.find_elements(By.CSS_SELECTOR, "form#group-form p.field-error"))
        self.assertIn("Line 2", errors, f"the bad feature line is named. {self.describe_page()}")
        self.assertIn("spend_30d:number", self.find("textarea#group-features", "the features field").get_attribute("value"))
        self.screenshot("features-group-refused")

        self.submit_form("form#group-form", dict(group, features="age:int:personal\nspend_30d:float\nplan:category"), "button#group-submit")
        group_path = "/app/projects/churn-model/feature-groups/customer_stats"
        self.assertEqual(self.path(), group_path, f"creating the feature group. {self.describe_page()}")
        self.assertIn("spend_30d", self.find("table#features-v1", "version 1's features").text)
        endpoint = self.find("code#push-endpoint", "the push endpoint").text.strip()
        self.assertRegex(endpoint, r"^POST /api/v1/feature-groups/[0-9a-f-]{36}/push$")

        key = self.create_api_key()
        row = {"customer_id": "c-1042", "event_time": "2026-02-01T09:30:00Z", "age": 37, "spend_30d": 129.5, "plan": "pro"}
        status, body = self.push(endpoint.split(" ", 1)[1], key, [row])
        self.assertEqual(status, 200, f"the push was refused: {body}")

        self.open(group_path)
        self.assertEqual(self.find("#online-entities", "the online entity count").text.strip(), "1")
        self.screenshot("feature-group")
        self.fill_form("form#lookup-form", {"key": "c-1042"})
        self.submit("button#lookup-submit")
        values = self.find("table#lookup-table", "the lookup's values").text
        for expected in ("age", "37", "spend_30d", "129.5", "plan", "pro", "present", "2026-02-01 09:30:00 UTC"):
            self.assertIn(expected, values, f"the lookup shows {expected!r}")
        self.screenshot("feature-group-lookup")

        self.fill_form("form#lookup-form", {"key": "nobody"})
        self.submit("button#lookup-submit")
        self.assertIn("No value for this entity", self.find("p#lookup-missing", "the missing-entity message").text)
        self.assertFalse(self.has("table#lookup-table"), "no values are shown for a missing entity")

        group_path = self.path()
        self.find("details#catalog-edit summary", "the catalog details toggle").click()
        self.screenshot("feature-group-catalog-form")
        self.submit_form("form#catalog-form", {"owner": "Risk team", "tags": "crm, risk"}, "button#catalog-submit")
        self.assertEqual(self.path(), group_path, f"saving the catalog details. {self.describe_page()}")
        self.assertIn("Catalog details saved", self.find("p#catalog-saved", "the saved notice").text)
        self.assertIn("Risk team", self.find("#group-facts", "the group's facts").text)
        self.screenshot("feature-group-catalog-saved")

        self.open(catalog)
        self.submit_form("form#feature-search", {"tag": "crm", "pii": "personal"}, "button#search-submit")
        table = self.find("table#groups-table", "the catalog's groups").text
        self.assertIn("customer_stats", table)
        self.assertIn("personal", table, "the PII badge shows the most personal feature")
        self.screenshot("features-catalog")
        self.assertEqual(self.csp_violations(), [], "pages must not trip the Content-Security-Policy")


if __name__ == "__main__":
    unittest.main()
