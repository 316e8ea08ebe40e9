import Foundation
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

@Suite struct AuditTrailTests {
    @Test func tenThousandConcurrentAppendsFormOneVerifiableChain() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Busy Audit")
            let tenant = owner.context.tenantID
            let before = try await environment.router.withTenantTransaction(tenant) { try await AuditLog.verify(on: $0).checked }
            let workers = 20
            let perWorker = 500
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        for index in 0..<perWorker {
                            try await environment.router.withTenantTransaction(tenant) { connection in
                                try await AuditLog.record(
                                    AuditEvent(actor: .system, action: "test.appended", target: "item:\(worker)-\(index)", details: ["worker": String(worker)]),
                                    tenant: tenant,
                                    on: connection
                                )
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let verification = try await environment.router.withTenantTransaction(tenant) { try await AuditLog.verify(on: $0) }
            #expect(verification.isIntact, "\(String(describing: verification.reason))")
            #expect(verification.checked == before + workers * perWorker)
        }
    }

    @Test func verifyFindsARowTheOwnerEditedOrDeleted() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Tamper Target", region: "me-central-1")
            _ = try await fixtures.member(of: owner, role: "viewer")
            let tenant = owner.context.tenantID
            let intact = try await environment.router.withTenantTransaction(tenant) { try await AuditLog.verify(on: $0) }
            #expect(intact.isIntact && intact.checked >= 4)
            // The table owner can switch the append-only trigger off; the chain still gives the edit away.
            try await environment.asOwner(region: "me-central-1") { connection in
                try await connection.withTransaction(settings: [("app.tenant_id", tenant.description)]) { connection in
                    try await connection.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
                    try await connection.execute("UPDATE audit_events SET target = 'user:someone-else' WHERE sequence = 2")
                    try await connection.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
                }
            }
            let edited = try await environment.router.withTenantTransaction(tenant) { try await AuditLog.verify(on: $0) }
            #expect(edited.brokenAt == 2)
            #expect(edited.reason?.contains("changed") == true)
            // Deleting the last row is caught too (the chain head remembers how many were written).
            let last = try await environment.asOwner(region: "me-central-1") { connection in
                try await connection.withTransaction(settings: [("app.tenant_id", tenant.description)]) { connection in
                    try await connection.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
                    let last = try await connection.query("DELETE FROM audit_events WHERE sequence = (SELECT max(sequence) FROM audit_events) RETURNING sequence")[0]["sequence", as: Int64.self]
                    try await connection.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
                    return last
                }
            }
            #expect(last > 2)
            let truncated = try await environment.router.withTenantTransaction(tenant) { try await AuditLog.verify(on: $0) }
            #expect(!truncated.isIntact)
        }
    }

    @Test func aCellDatabaseCannotBeClaimedForAnotherRegion() async throws {
        try await TenancyTestEnvironment.with { environment in
            try await environment.asOwner(region: "eu-west-1") { connection in
                try await CellIdentity.claim(region: "eu-west-1", on: connection)
                await #expect(throws: CellIdentityError.self) { try await CellIdentity.claim(region: "me-central-1", on: connection) }
            }
        }
    }

    @Test func theApplicationRoleCanOnlyAppend() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Append Only")
            for statement in ["UPDATE audit_events SET target = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events"] {
                let error = await #expect(throws: PostgresError.self) {
                    try await environment.router.withTenantTransaction(owner.context.tenantID) { connection in
                        try await connection.execute(PostgresQuery(unsafeSQL: statement))
                    }
                }
                #expect(error?.sqlState == "42501", "\(statement): \(String(describing: error?.sqlState))")
            }
            // Even the owner role is stopped by the trigger while it is enabled.
            let ownerError = await #expect(throws: PostgresError.self) {
                try await environment.asOwner(region: "eu-west-1") { connection in
                    try await connection.withTransaction(settings: [("app.tenant_id", owner.context.tenantID.description)]) { connection in
                        try await connection.execute("DELETE FROM audit_events")
                    }
                }
            }
            #expect(ownerError?.sqlState == "42501")
        }
    }

    @Test func tenancyActionsAreAuditedWithPseudonymousActors() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Audited Co")
            let viewer = try await fixtures.member(of: owner, role: "viewer")
            try await environment.services.members.changeRole(owner.context, member: viewer.member.id, to: "auditor")
            _ = await #expect(throws: TenancyError.self) {
                try await environment.services.authenticator.login(email: owner.member.email, password: "not-the-password", clientAddress: "9.9.9.9", userAgent: "")
            }
            let key = try await environment.services.apiKeys.create(owner.context, name: "ci", permissions: ["members.read"], expiresInDays: 1)
            _ = try await environment.services.apiKeys.authenticate(key.secret, requestID: "req-1", clientAddress: "8.8.8.8")
            let operatorSession = try await fixtures.operatorSession()
            try await environment.services.operators.suspend(operatorSession, tenant: owner.context.tenantID)
            let events = try await environment.router.withTenantTransaction(owner.context.tenantID) { connection in
                try await AuditLog.events(AuditFilter(limit: 1000), on: connection)
            }
            let actions = Set(events.map(\.action))
            for expected in ["tenant.created", "member.invited", "member.joined", "member.login", "member.role_changed", "member.login_failed",
                             "api_key.created", "api_key.used", "tenant.suspended"] {
                #expect(actions.contains(expected), "missing \(expected) in \(actions.sorted())")
            }
            let change = try #require(events.first { $0.action == "member.role_changed" })
            #expect(change.details == ["from": "viewer", "to": "auditor"])
            #expect(change.actor == .user(owner.member.id))
            #expect(change.region == "eu-west-1")
            #expect(events.first { $0.action == "tenant.suspended" }?.actor.kind == "operator")
            #expect(events.first { $0.action == "member.login_failed" }?.sourceIP == "9.9.9.9")
            // No e-mail address or name in the trail.
            let text = events.map { "\($0)" }.joined()
            #expect(!text.contains(owner.member.email) && !text.contains(viewer.member.email))
            let filtered = try await environment.router.withTenantTransaction(owner.context.tenantID) { connection in
                try await AuditLog.events(AuditFilter(actionPrefix: "api_key."), on: connection)
            }
            #expect(Set(filtered.map(\.action)) == ["api_key.created", "api_key.used"])
        }
    }
}
