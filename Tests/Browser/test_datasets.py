"""Projects and datasets in a real browser: create, upload a CSV with the progress bar, read the version page.

The contract these tests hold the pages to:
- /app/projects: form#project-form (name, slug, description), button#project-submit; success goes to
  /app/projects/<slug>, which has form#dataset-form (name, description) and button#dataset-submit; success goes to
  /app/projects/<slug>/datasets/<name>.
- The dataset page has form#upload-form (file input#upload-file, select on_error, input columns), button#upload-submit,
  progress#upload-progress and p#upload-status; /static/js/dataset-upload.js streams the file and, once stored, goes to
  …/datasets/<name>/versions/<n>. A refused file stays on the page and div#upload-problems lists the reasons with
  the lines.
- A version page has table#versions-table, table#schema-table (one row per column: name, type, missing, distinct,
  summary, an svg.histogram for numbers and timestamps), table#preview-table and, when rows were left out,
  table#rejections-table.
- No page logs a Content-Security-Policy violation.

FALAJ_SCREENSHOTS=<dir> saves a PNG of each page the test reaches (for looking at them).
"""

import os
import tempfile
import unittest

from selenium.webdriver.support.ui import WebDriverWait

from harness import WAIT_SECONDS, BrowserTestCase

CSV = (
    "customer_id,age,plan,signed_up,monthly_spend,churned\n"
    + "".join(
        f"c{i},{20 + i % 50},{['free', 'team', 'pro'][i % 3]},2026-0{1 + i % 9}-1{i % 10},{(i * 37) % 500 / 10},{'true' if i % 7 == 0 else 'false'}\n"
        for i in range(1, 401)
    )
)
BAD_CSV = "customer_id,age\nc1,34\nc2,forty\nc3,29\n"


class DatasetsFlowTest(BrowserTestCase):
    def write_file(self, name, text):
        folder = tempfile.mkdtemp(prefix="falaj-upload-")
        path = os.path.join(folder, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path

    def upload(self, path, on_error="reject", columns=""):
        self.fill_form("form#upload-form", {"on_error": on_error, "columns": columns})
        self.find("input#upload-file", "the file input").send_keys(path)
        self.find("button#upload-submit", "the upload button").click()

    def test_owner_uploads_a_csv_and_reads_its_schema_statistics_and_rows(self):
        self.sign_up(region="me-central-1")
        self.open("/app/projects")
        self.screenshot("projects-empty")
        self.submit_form("form#project-form", {"name": "Churn model", "slug": "", "description": "Who leaves, and why"}, "button#project-submit")
        self.assertEqual(self.path(), "/app/projects/churn-model", f"creating the project. {self.describe_page()}")
        self.submit_form("form#dataset-form", {"name": "customers", "description": "CRM export"}, "button#dataset-submit")
        dataset_path = "/app/projects/churn-model/datasets/customers"
        self.assertEqual(self.path(), dataset_path, f"creating the dataset. {self.describe_page()}")
        self.screenshot("dataset-empty")

        self.upload(self.write_file("customers.csv", CSV), columns="monthly_spend:float")
        self.wait_for_path(dataset_path + "/versions/1", "uploading the CSV")
        self.screenshot("dataset-version-1")
        schema = self.find("table#schema-table", "the schema table").text
        for expected in ("customer_id", "age", "int", "plan", "category", "signed_up", "timestamp", "monthly_spend", "float", "churned", "bool"):
            self.assertIn(expected, schema, f"the schema table lists {expected!r}")
        self.assertTrue(self.has("table#schema-table svg.histogram rect"), "numeric columns show a histogram")
        self.assertIn("c1", self.find("table#preview-table", "the preview").text)
        self.assertIn("400", self.find("table#versions-table", "the versions table").text)

        self.upload(self.write_file("bad.csv", BAD_CSV), columns="age:int")
        problems = self.find("div#upload-problems", "the upload problems")
        WebDriverWait(self.driver, WAIT_SECONDS).until(lambda d: problems.is_displayed())
        self.assertIn("Line 3", problems.text, f"the refused row is named. {self.describe_page()}")
        self.assertEqual(self.path(), dataset_path + "/versions/1", "a refused upload stays on the page")
        self.screenshot("dataset-refused")

        self.upload(self.write_file("bad.csv", BAD_CSV), on_error="skip", columns="age:int")
        self.wait_for_path(dataset_path + "/versions/2", "uploading with bad rows left out")
        rejections = self.find("table#rejections-table", "the rows left out").text
        self.assertRegex(rejections, r"(?m)^3 age ", f"line 3's age is the row left out: {rejections!r}")
        self.screenshot("dataset-version-2")
        self.assertEqual(self.csp_violations(), [], "pages must not trip the Content-Security-Policy")


if __name__ == "__main__":
    unittest.main()
