import Foundation
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

@Suite struct SignUpTests {
    @Test func badInputGetsFieldErrorsAndCreatesNothing() async throws {
        try await TenancyTestEnvironment.with { environment in
            let cases: [(SignUpForm, Set<String>)] = [
                (SignUpForm(organisation: "", region: "eu-west-1", email: "a@example.com", password: "correct-horse-battery"), ["organisation"]),
                (SignUpForm(organisation: String(repeating: "x", count: 101), region: "eu-west-1", email: "a@example.com", password: "correct-horse-battery"), ["organisation"]),
                (SignUpForm(organisation: "Acme", region: "mars-1", email: "a@example.com", password: "correct-horse-battery"), ["region"]),
                (SignUpForm(organisation: "Acme", region: "eu-west-1", email: "not-an-email", password: "correct-horse-battery"), ["email"]),
                (SignUpForm(organisation: "Acme", region: "eu-west-1", email: "a@example.com", password: "short"), ["password"]),
                (SignUpForm(organisation: "Acme", region: "eu-west-1", email: "a@example.com", password: "qwertyuiop"), ["password"]),
                (SignUpForm(organisation: "Acme\u{202E}", region: "eu-west-1", email: "a'; DROP TABLE users;--@x", password: "x"), ["organisation", "email", "password"]),
                (SignUpForm(organisation: "\u{0}", region: "'; DROP TABLE regions;--", email: "", password: ""), ["organisation", "region", "email", "password"]),
            ]
            for (form, fields) in cases {
                let error = await #expect(throws: TenancyError.self) { try await environment.services.signUp.signUp(form) }
                if case .invalidFields(let found)? = error {
                    #expect(Set(found.keys) == fields, "\(form.organisation.debugDescription): \(found)")
                    #expect(found.values.allSatisfy { !$0.isEmpty })
                } else {
                    Issue.record("expected field errors, got \(String(describing: error))")
                }
            }
            let tenants = try await environment.asSuperuserInDirectory { try await $0.query("SELECT count(*) AS n FROM tenants")[0]["n", as: Int.self] }
            #expect(tenants == 0)
            let users = try await environment.asSuperuser(region: "eu-west-1") { try await $0.query("SELECT count(*) AS n FROM users")[0]["n", as: Int.self] }
            #expect(users == 0)
        }
    }

    @Test func sqlMetaCharactersAndUnicodeAreJustText() async throws {
        try await TenancyTestEnvironment.with { environment in
            let name = "Robert'); DROP TABLE tenants;-- مؤسسة 👩‍💻"
            let result = try await environment.services.signUp.signUp(
                SignUpForm(organisation: name, region: "me-central-1", email: "o'brien+ml@example.com", password: "correct-horse-battery-staple-42")
            )
            #expect(result.tenant.displayName == name)
            #expect(result.tenant.homeRegion == "me-central-1")
            #expect(result.tenant.status == "active")
            #expect(result.tenant.slug.range(of: "^[a-z0-9]+(-[a-z0-9]+)*$", options: .regularExpression) != nil)
            _ = try await environment.services.authenticator.login(email: "O'Brien+ML@example.com", password: "correct-horse-battery-staple-42", clientAddress: "1", userAgent: "")
        }
    }

    @Test func duplicateOrganisationNamesGetDistinctSlugs() async throws {
        try await TenancyTestEnvironment.with { environment in
            var slugs: Set<String> = []
            for index in 0..<3 {
                let result = try await environment.services.signUp.signUp(
                    SignUpForm(organisation: "Same Name", region: "eu-west-1", email: "dup\(index)@example.com", password: "correct-horse-battery-staple-42")
                )
                slugs.insert(result.tenant.slug)
            }
            #expect(slugs.count == 3)
            #expect(slugs.contains("same-name"))
        }
    }

    @Test func aSignUpThatFailsHalfWayLeavesNothingThatBlocksARetry() async throws {
        try await TenancyTestEnvironment.with { environment in
            // Break the cell: the owner insert fails after the directory reserved the slug.
            try await environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.execute("ALTER TABLE users ADD CONSTRAINT test_block CHECK (display_name <> 'Blocked Person')")
            }
            let form = SignUpForm(organisation: "Retry Ltd", region: "eu-west-1", email: "retry@example.com", password: "correct-horse-battery-staple-42", displayName: "Blocked Person")
            await #expect(throws: (any Error).self) { try await environment.services.signUp.signUp(form) }
            let left = try await environment.asSuperuserInDirectory { try await $0.query("SELECT count(*) AS n FROM tenants")[0]["n", as: Int.self] }
            #expect(left == 0, "the provisioning tenant was rolled back")
            // A crash half-way (a stale provisioning row) does not block the slug either.
            try await environment.asSuperuserInDirectory { connection in
                try await connection.execute(
                    "INSERT INTO tenants (id, slug, display_name, home_region, status, created_at) VALUES (\(UUID()), 'retry-ltd', 'Retry Ltd', 'eu-west-1', 'provisioning', now() - interval '1 hour')"
                )
            }
            var fixed = form
            fixed.displayName = "Real Person"
            let result = try await environment.services.signUp.signUp(fixed)
            #expect(result.tenant.slug == "retry-ltd")
            let statuses = try await environment.asSuperuserInDirectory { try await $0.query("SELECT status FROM tenants").map { try $0["status", as: String.self] } }
            #expect(statuses == ["active"])
        }
    }
}
