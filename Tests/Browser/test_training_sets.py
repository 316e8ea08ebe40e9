"""The feature store's batch side in a real browser: upload a dataset, ingest it into a feature group, materialise,
recompute statistics, save a feature service and build a training set whose version page shows its lineage.

The contract these tests hold the pages to (besides test_datasets.py's and test_features.py's):
- A group's page has a Statistics section (h2#statistics) with details#statistics-version-<n> holding
  table#statistics-v<n> (one row per feature, an svg.histogram for numbers) or p#no-statistics, and
  form#statistics-form with button#statistics-submit; a Lineage section (h2#lineage) with #materialization
  (dd#materialized-at, dd#rows-since, form#materialize-form: checkbox full, button#materialize-submit),
  table#ingestions-table (or p#no-ingestions), table#training-sets-table (or p#no-training-sets) and
  form#ingest-form (select dataset, input version, checkbox materialize, on by default) with button#ingest-submit.
  Each form comes back to the group's page with p#notice saying what it did; a refused one shows the error there.
- The catalog has table#services-table (or p#no-services) with a Delete button per service, form#service-form
  (name, description, features one per line) with button#service-submit, and form#training-form (entity_dataset,
  entity_version, timestamp_column, features, feature_service, output) with button#training-submit. A built
  training set goes to /app/projects/<slug>/datasets/<output>/versions/<n>; a refused one stays with p.field-error.
- A training set's version page shows div#version-lineage (the entity dataset version linked as a#lineage-entities)
  and table#lineage-features.
- No page logs a Content-Security-Policy violation.

FALAJ_SCREENSHOTS=<dir> saves a PNG of each page the test reaches (for looking at them).
"""

import os
import tempfile
import unittest

from selenium.webdriver.common.by import By

from harness import BrowserTestCase

CUSTOMERS = [f"c{i:02d}" for i in range(1, 21)]
HISTORY = "customer_id,event_time,age,spend,plan\n" + "".join(
    f"{customer},2026-0{month}-0{1 + index % 9}T08:00:00Z,{22 + (index * 7) % 50 + month},{(index * 13 % 40) * 2.5 + month},"
    f"{['free', 'team', 'pro'][(index + month) % 3]}\n"
    for month in (1, 2, 3)
    for index, customer in enumerate(CUSTOMERS)
)
LABELS = "customer_id,event_time,churned\n" + "".join(
    f"{customer},2026-02-15T00:00:00Z,{'true' if index % 4 == 0 else 'false'}\n" for index, customer in enumerate(CUSTOMERS)
) + "c99,2026-02-15T00:00:00Z,false\n"


class TrainingSetsFlowTest(BrowserTestCase):
    def upload_dataset(self, project_path, name, filename, text, columns=""):
        """Creates dataset `name` on the project page and uploads `text` with the progress bar; ends on version 1."""
        self.open(project_path)
        self.submit_form("form#dataset-form", {"name": name, "description": ""}, "button#dataset-submit")
        dataset_path = f"{project_path}/datasets/{name}"
        self.assertEqual(self.path(), dataset_path, f"creating dataset {name}. {self.describe_page()}")
        folder = tempfile.mkdtemp(prefix="falaj-upload-")
        path = os.path.join(folder, filename)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        self.fill_form("form#upload-form", {"on_error": "reject", "columns": columns})
        self.find("input#upload-file", "the file input").send_keys(path)
        self.find("button#upload-submit", "the upload button").click()
        self.wait_for_path(dataset_path + "/versions/1", f"uploading {filename}")

    def notice(self):
        return self.find("p#notice", "the notice of what the form did").text

    def test_owner_ingests_a_dataset_and_builds_a_training_set_with_lineage(self):
        self.sign_up(region="me-central-1")
        self.open("/app/projects")
        self.submit_form("form#project-form", {"name": "Churn model", "slug": "", "description": ""}, "button#project-submit")
        project = "/app/projects/churn-model"
        self.assertEqual(self.path(), project, f"creating the project. {self.describe_page()}")
        self.upload_dataset(project, "history", "history.csv", HISTORY, columns="plan:category")
        self.assertIn("60", self.find("table#versions-table", "the versions table").text)
        self.upload_dataset(project, "labels", "labels.csv", LABELS)

        catalog = project + "/features"
        self.open(catalog)
        self.submit_form("form#entity-form", {"name": "customer", "join_key": "customer_id", "key_type": "string", "description": ""}, "button#entity-submit")
        group = {
            "name": "customer_stats", "entity": "customer", "description": "Monthly CRM aggregates", "owner": "Growth team", "tags": "crm",
            "source": "", "event_time_column": "event_time", "ttl_seconds": "", "features": "age:int:personal\nspend:float\nplan:category",
        }
        self.submit_form("form#group-form", group, "button#group-submit")
        group_path = project + "/feature-groups/customer_stats"
        self.assertEqual(self.path(), group_path, f"creating the feature group. {self.describe_page()}")
        self.assertTrue(self.has("p#no-statistics") and self.has("p#no-ingestions"), "a new group has no statistics and no lineage")
        self.assertTrue(self.find("input#ingest-materialize", "the online store checkbox").is_selected(), "loading online is on by default")

        self.submit_form("form#ingest-form", {"dataset": "labels", "version": ""}, "button#ingest-submit")
        self.assertIn("no column", self.find("p#ingest-columns-error", "the refused columns").text, self.describe_page())
        self.screenshot("group-ingest-refused", "#ingest")

        self.submit_form("form#ingest-form", {"dataset": "history", "version": "1", "materialize": True}, "button#ingest-submit")
        self.assertEqual(self.path(), group_path, f"ingesting the dataset. {self.describe_page()}")
        self.assertIn("Ingested history v1: 60 rows written", self.notice())
        self.screenshot("group-ingested")
        self.assertEqual(self.find("#online-entities", "the online entity count").text.strip(), "20")
        self.assertTrue(self.has("table#statistics-v1 svg.histogram rect"), "numeric features show a histogram")
        statistics = self.find("table#statistics-v1", "version 1's statistics").text
        for expected in ("age", "spend", "plan", "int", "float", "category"):
            self.assertIn(expected, statistics)
        ingestions = self.find("table#ingestions-table", "the ingested dataset versions").text
        self.assertIn("history v1", ingestions)
        self.screenshot("group-statistics", "#statistics")
        self.screenshot("group-lineage", "#lineage")

        self.submit_form("form#materialize-form", {"full": True}, "button#materialize-submit")
        self.assertIn("Full materialisation done: 60 offline rows read", self.notice())
        self.assertEqual(self.find("dd#rows-since", "the rows since materialisation").text.strip(), "0")
        self.submit("button#statistics-submit")
        self.assertIn("Statistics recomputed for 1 version", self.notice())
        self.screenshot("group-statistics-recomputed")

        self.open(catalog)
        service = {"name": "churn-model", "description": "What the churn model reads", "features": "customer_stats:age\ncustomer_stats:plan"}
        self.submit_form("form#service-form", service, "button#service-submit")
        self.assertIn("customer_stats:plan", self.find("table#services-table", "the feature services").text)
        self.submit_form("form#service-form", {"name": "scratch", "description": "", "features": "customer_stats:*"}, "button#service-submit")
        self.submit("button#delete-service-scratch")
        self.assertIn("deleted", self.notice())
        self.assertNotIn("scratch", self.find("table#services-table", "the feature services").text)

        training = {"entity_dataset": "labels", "entity_version": "", "timestamp_column": "event_time", "features": "customer_stats:age\ncustomer_stats:spend",
                    "feature_service": "churn-model", "output": "churn-training"}
        self.submit_form("form#training-form", training, "button#training-submit")
        errors = " ".join(e.text for e in self.driver.find_elements(By.CSS_SELECTOR, "form#training-form p.field-error"))
        self.assertIn("not both", errors, f"features and a service together are refused. {self.describe_page()}")
        self.screenshot("catalog-training-refused", "#training-sets")

        self.submit_form("form#training-form", dict(training, features="customer_stats:age\ncustomer_stats:spend\ncustomer_stats:plan", feature_service=""),
                         "button#training-submit")
        version_path = project + "/datasets/churn-training/versions/1"
        self.wait_for_path(version_path, "building the training set")
        self.assertIn("21", self.find("table#versions-table", "the training set's versions").text, "one row per entity row")
        lineage = self.find("div#version-lineage", "the training set's lineage").text
        self.assertIn("Built as a training set from labels v1", lineage)
        self.assertIn("event_time", lineage)
        features = self.find("table#lineage-features", "the joined features").text
        for expected in ("customer_stats:age", "customer_stats:spend", "customer_stats:plan"):
            self.assertIn(expected, features)
        preview = self.find("table#preview-table", "the training set's rows").text
        self.assertIn("c01", preview)
        self.assertIn("spend", self.find("table#schema-table", "the training set's schema").text)
        self.screenshot("training-set-version", "#version-heading")

        self.find("a#lineage-entities", "the link to the entity rows").click()
        self.wait_for_path(project + "/datasets/labels/versions/1", "following the lineage to the entity rows")
        self.open(group_path)
        self.assertIn("churn-training v1", self.find("table#training-sets-table", "the training sets built from the group").text)
        self.screenshot("group-training-sets", "#lineage")
        self.open(catalog)
        self.screenshot("catalog-services", "#services")
        self.assertEqual(self.csp_violations(), [], "pages must not trip the Content-Security-Policy")


if __name__ == "__main__":
    unittest.main()
