"""Project access lists in a real browser: an owner restricts a project, an invited data scientist no longer sees it,
and sees it again once ticked on the list.

The contract these tests hold the pages to:
- /app/projects/<slug>/access (member managers only): form#access-form with radios name=restricted (0: everyone,
  1: only ticked members), one checkbox name=member per member (value = user id, id member-<id>), button#access-submit;
  saving ends at …/access?done=saved with p#access-saved.
- A restricted project is missing from /app/projects and its page answers 404 for members not on the list.

FALAJ_SCREENSHOTS=<dir> saves a PNG of the access page.
"""

import unittest

from selenium.webdriver.common.by import By

from harness import BrowserTestCase, unique_email

MEMBER_PASSWORD = "Orchard-Lantern-Violet-58"


class ProjectAccessFlowTest(BrowserTestCase):
    def create_project(self, name, slug):
        self.open("/app/projects")
        self.submit_form("form#project-form", {"name": name, "slug": slug, "description": ""}, "button#project-submit")
        self.assertEqual(self.path(), f"/app/projects/{slug}", f"creating {slug}. {self.describe_page()}")

    def save_access(self, restricted, ticked_emails):
        self.open("/app/projects/secret/access")
        self.find(f'form#access-form input[name="restricted"][value="{1 if restricted else 0}"]', "the visibility choice").click()
        for box in self.driver.find_elements(By.CSS_SELECTOR, 'form#access-form input[name="member"]'):
            if box.is_selected() != (box.get_attribute("aria-label") in ticked_emails):
                box.click()
        self.submit("button#access-submit")
        self.wait_for_path("/app/projects/secret/access", "saving the access list")
        self.assertTrue(self.has("p#access-saved"), f"the page says it saved. {self.describe_page()}")

    def test_a_restricted_project_disappears_for_members_not_on_its_list(self):
        owner = self.sign_up()
        self.create_project("Open work", "open-work")
        self.create_project("Secret work", "secret")
        member = unique_email("scientist")
        self.open("/app/members")
        self.submit_form("form#invite-form", {"email": member, "role": "data_scientist"}, "button#invite-submit")
        link = self.find("a#invite-link", "the invitation link").get_dom_attribute("href")
        self.log_out()
        self.open(link)
        self.submit_form("form#accept-form", {"display_name": "Sam Scientist", "password": MEMBER_PASSWORD}, "button#accept-submit")
        self.wait_for_path("/login", "accepting the invitation")

        self.log_in(owner.email, owner.password)
        self.open("/app/projects/secret")
        self.find("a#access-link", "the project page's access link").click()
        self.wait_for_path("/app/projects/secret/access", "following the access link")
        self.save_access(True, set())
        self.screenshot("project-access", height=1100)
        self.open("/app/projects/secret")
        self.screenshot("project-restricted", height=1100)
        self.log_out()

        self.log_in(member, MEMBER_PASSWORD)
        self.open("/app/projects")
        listed = self.find("main", "the projects page").text
        self.assertIn("Open work", listed)
        self.assertNotIn("Secret work", listed, "a restricted project is not listed for a member outside its list")
        status, _ = self.http_get("/app/projects/secret")
        self.assertEqual(status, 404, "a restricted project's page is not found for a member outside its list")
        self.log_out()

        self.log_in(owner.email, owner.password)
        self.save_access(True, {member})
        self.log_out()
        self.log_in(member, MEMBER_PASSWORD)
        status, _ = self.http_get("/app/projects/secret")
        self.assertEqual(status, 200, "once ticked, the member sees the project")


if __name__ == "__main__":
    unittest.main()
