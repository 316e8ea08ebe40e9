"""Tenancy in a real browser: sign-up, invitations, login and logout, and the 403 page for a role that may not look.

The contract these tests hold the pages to:
- /signup: form#signup-form (organisation, region select of region ids whose text says where data lives,
  email, password), button#signup-submit; success redirects to /app.
- /app: #active-tenant shows the organisation, #active-region the region id; form#logout-form with
  button#logout-submit posts to /logout and ends at /login.
- /login: form#login-form (email, password), button#login-submit; success goes to /app; a wrong password
  stays on /login with a .form-error saying the e-mail or password is incorrect.
- /app/members: form#invite-form (email, role select), button#invite-submit; afterwards a#invite-link holds
  the absolute accept URL.
- /invitations/<token>: form#accept-form (display_name, password), button#accept-submit; success ends at
  /login. A used link shows a .form-error or the error page's p.status.
- A viewer opening /app/security gets the error page with p.status 403 (HTTP 403).
"""

import unittest
import urllib.parse

from selenium.webdriver.common.by import By

from harness import BrowserTestCase, unique_email

ROLES = {"owner", "admin", "ml_engineer", "data_scientist", "viewer", "auditor", "billing"}
INVITEE_PASSWORD = "purple-otter-carries-lanterns-17"


class TenancyFlowTest(BrowserTestCase):
    def test_owner_invites_viewer_who_joins_and_is_refused_security_page(self):
        region_names = self.region_names_from_landing_page()
        self.open("/signup")
        self.find("form#signup-form", "the sign-up form at /signup")
        option = self.find('form#signup-form select[name="region"] option[value="eu-west-1"]', "the eu-west-1 region option")
        self.assertIn(
            region_names["eu-west-1"], option.text,
            "the sign-up region option for eu-west-1 should say where the data lives",
        )

        owner = self.sign_up(region="eu-west-1")
        self.assert_dashboard_shows(owner.organisation, "eu-west-1", "owner's dashboard after sign-up")

        invitee = unique_email("viewer")
        link = self.invite(invitee, "viewer")

        self.log_out()
        self.accept_invitation(link, "Invited Viewer", INVITEE_PASSWORD)

        self.log_in(invitee, INVITEE_PASSWORD)
        self.assert_dashboard_shows(owner.organisation, "eu-west-1", "invited viewer's dashboard")

        self.open("/app/security")
        status = self.find("p.status", "the error page a viewer gets at /app/security")
        self.assertEqual(status.text, "403", f"a viewer opening /app/security. {self.describe_page()}")
        http_status, _ = self.http_get("/app/security")
        self.assertEqual(http_status, 403, "HTTP status of /app/security for a viewer")

        self.log_out()
        self.log_in(owner.email, owner.password)
        self.open("/app/security")
        self.assertEqual(self.path(), "/app/security", f"the owner opening /app/security. {self.describe_page()}")
        self.assertFalse(self.has("p.status"), f"the owner should see /app/security, not an error page. {self.describe_page()}")
        http_status, _ = self.http_get("/app/security")
        self.assertEqual(http_status, 200, "HTTP status of /app/security for the owner")

    def test_used_invitation_link_is_refused(self):
        self.sign_up(region="eu-west-1")
        link = self.invite(unique_email("viewer"), "viewer")
        self.log_out()
        self.accept_invitation(link, "One-time Viewer", INVITEE_PASSWORD)

        self.open(link)
        self.assertTrue(
            self.has(".form-error") or self.has("p.status"),
            "opening an invitation link a second time should say the invitation is no longer valid "
            f"(a .form-error or the error page's p.status). {self.describe_page()}",
        )

    def test_wrong_password_stays_on_login_with_error(self):
        owner = self.sign_up(region="eu-west-1")
        self.log_out()
        self.open("/login")
        self.submit_form(
            "form#login-form", {"email": owner.email, "password": owner.password + "-wrong"}, "button#login-submit"
        )
        self.assertEqual(self.path(), "/login", f"a wrong password should stay on the login page. {self.describe_page()}")
        error = self.find(".form-error", "the login form's error message")
        text = error.text.lower()
        self.assertTrue(
            "incorrect" in text and ("e-mail" in text or "email" in text),
            f"the login error should say the e-mail or password is incorrect; it says {error.text!r}",
        )

    # MARK: steps

    def region_names_from_landing_page(self):
        """Region id → where its data lives, as the landing page's region table lists them."""
        self.open("/")
        rows = self.driver.find_elements(By.CSS_SELECTOR, "table.regions tbody tr")
        names = {}
        for row in rows:
            cells = row.find_elements(By.CSS_SELECTOR, "td")
            if len(cells) >= 2:
                names[cells[0].text.strip()] = cells[1].text.strip()
        self.assertIn("eu-west-1", names, f"the landing page's region table. {self.describe_page()}")
        return names

    def assert_dashboard_shows(self, organisation, region, what):
        self.assertEqual(self.path(), "/app", f"{what}. {self.describe_page()}")
        tenant = self.find("#active-tenant", f"the active tenant in the header ({what})")
        self.assertIn(organisation, tenant.text, f"{what}: #active-tenant")
        shown_region = self.find("#active-region", f"the active region in the header ({what})")
        self.assertIn(region, shown_region.text, f"{what}: #active-region")

    def invite(self, email, role):
        """Invites `email` as `role` from /app/members and returns the accept link the page shows."""
        self.open("/app/members")
        self.find("form#invite-form", "the invitation form at /app/members")
        offered = {option.get_attribute("value") for option in self.driver.find_elements(
            By.CSS_SELECTOR, 'form#invite-form select[name="role"] option')}
        self.assertEqual(offered, ROLES, "the roles the invitation form offers")
        self.submit_form("form#invite-form", {"email": email, "role": role}, "button#invite-submit")
        link = self.find("a#invite-link", f"the invitation link for {email} on the members page")
        href = link.get_dom_attribute("href") or ""
        parts = urllib.parse.urlsplit(href)
        self.assertTrue(
            parts.scheme in ("http", "https") and parts.netloc,
            f"a#invite-link should hold the absolute accept URL; its href is {href!r}",
        )
        self.assertTrue(parts.path.startswith("/invitations/"), f"the accept URL's path: {href!r}")
        return href

    def accept_invitation(self, link, display_name, password):
        """Opens the invitation link (logged out), accepts it and ends on /login."""
        self.open(link)
        self.find("form#accept-form", f"the accept form at {link}")
        self.submit_form(
            "form#accept-form", {"display_name": display_name, "password": password}, "button#accept-submit"
        )
        self.wait_for_path("/login", "accepting the invitation")


if __name__ == "__main__":
    unittest.main()
