"""Smoke test: the landing page and the 404 page render in a real browser with the stylesheet applied."""

import unittest

from harness import BrowserTestCase


class SmokeTest(BrowserTestCase):
    def test_landing_page_renders_with_stylesheet(self):
        self.open("/")
        self.assertIn("Falaj", self.driver.title, f"landing page title. {self.describe_page()}")
        header = self.find("header.topbar", "the portal's top bar")
        # Without falaj.css a <header> is a block; the stylesheet makes the top bar a flex row.
        self.assertEqual(
            header.value_of_css_property("display"), "flex",
            "header.topbar is not styled: /static/css/falaj.css did not load or apply",
        )
        rules = self.driver.execute_script(
            "const sheet = [...document.styleSheets].find(s => (s.href || '').endsWith('/static/css/falaj.css'));"
            "return sheet ? sheet.cssRules.length : -1;"
        )
        self.assertGreater(rules, 0, "the page has no parsed /static/css/falaj.css stylesheet")
        status, _ = self.http_get("/static/css/falaj.css")
        self.assertEqual(status, 200, "GET /static/css/falaj.css")

    def test_unknown_page_shows_portal_404(self):
        self.open("/no-such-page-here")
        status = self.find("p.status", "the portal's error page")
        self.assertEqual(status.text, "404", f"error page status. {self.describe_page()}")
        http_status, _ = self.http_get("/no-such-page-here")
        self.assertEqual(http_status, 404, "HTTP status of an unknown page")


if __name__ == "__main__":
    unittest.main()
