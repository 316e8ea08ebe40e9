import Foundation
import PostgresClient
import Testing

/// `falaj admin …` against the embedded cluster of a running `falaj serve`.
@Suite(.serialized) struct AdminCommandTests {
    @Test func auditVerifyProvesTheChainAndFindsAnEditWhileTheServerRuns() async throws {
        let falaj = try await FalajProcess()
        defer { falaj.stop() }
        let verify = ["admin", "audit", "verify", "--data-dir", falaj.dataDirectory, "--log-level", "error"]
        let intact = try await runCommand(FalajProcess.binary, verify, timeout: .seconds(120))
        #expect(intact.status == 0, "\(intact.output)")
        #expect(intact.output.contains("Audit trail intact"))
        #expect(intact.output.contains("demo (me-central-1)"))
        let health = try await curl([falaj.baseURL + "/healthz"])
        #expect(health.status == 200, "the admin command must not stop the server's database")

        // The table owner edits an audit row behind the application's back.
        let owner = try PostgresConfiguration("postgresql://falaj_owner@/falaj_cell_me_central_1?host=\(falaj.dataDirectory)/run")
        let connection = try await PostgresConnection.connect(configuration: owner)
        defer { connection.close() }
        let directory = try await PostgresConnection.connect(configuration: owner.withDatabase("falaj_directory"))
        defer { directory.close() }
        let tenant = try await directory.query("SELECT id::text AS id FROM tenants WHERE slug = 'demo'").first
        let tenantID = try #require(try tenant?["id", as: String.self])
        try await connection.withTransaction(settings: [("app.tenant_id", tenantID)]) { connection in
            try await connection.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
            try await connection.execute("UPDATE audit_events SET outcome = 'failure' WHERE sequence = 1")
            try await connection.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
        }
        let broken = try await runCommand(FalajProcess.binary, verify + ["--tenant", "demo"], timeout: .seconds(120))
        #expect(broken.status == 1, "\(broken.output)")
        #expect(broken.output.contains("BROKEN demo"))
        #expect(broken.output.contains("event 1"))

        let unknown = try await runCommand(FalajProcess.binary, verify + ["--tenant", "no-such-tenant"], timeout: .seconds(120))
        #expect(unknown.status != 0 && unknown.output.contains("no tenant"))
    }

    @Test func createOperatorTakesThePasswordFromTheEnvironmentAndRefusesWeakOnes() async throws {
        let dataDirectory = "/tmp/falaj-admin-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let arguments = ["admin", "create-operator", "--email", "Ops@Example.com", "--name", "Ops", "--data-dir", dataDirectory, "--log-level", "error"]
        let created = try await runCommand(FalajProcess.binary, arguments, environment: ["FALAJ_OPERATOR_PASSWORD": "correct-horse-battery-staple-9"], timeout: .seconds(120))
        #expect(created.status == 0, "\(created.output)")
        #expect(created.output.contains("Created operator ops@example.com"))
        let again = try await runCommand(FalajProcess.binary, arguments, environment: ["FALAJ_OPERATOR_PASSWORD": "correct-horse-battery-staple-9"], timeout: .seconds(120))
        #expect(again.output.contains("already exists"))
        let weak = try await runCommand(
            FalajProcess.binary, ["admin", "create-operator", "--email", "two@example.com", "--name", "Two", "--data-dir", dataDirectory, "--log-level", "error"],
            environment: ["FALAJ_OPERATOR_PASSWORD": "short"], timeout: .seconds(120)
        )
        #expect(weak.status != 0 && weak.output.contains("at least 10 characters"))
    }

    @Test func keysRewrapUsesTheRegionsCurrentKEKAndRefusesUnknownRegions() async throws {
        let falaj = try await FalajProcess()
        defer { falaj.stop() }
        let old = try String(contentsOfFile: falaj.dataDirectory + "/keys/me-central-1.kek", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let fresh = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let arguments = ["admin", "keys", "rewrap", "--region", "me-central-1", "--data-dir", falaj.dataDirectory, "--log-level", "error"]
        let rewrapped = try await runCommand(FalajProcess.binary, arguments, environment: ["FALAJ_KEK_ME_CENTRAL_1": "\(fresh),\(old)"], timeout: .seconds(120))
        #expect(rewrapped.status == 0, "\(rewrapped.output)")
        #expect(rewrapped.output.contains("Re-wrapped") && rewrapped.output.contains("region me-central-1"))
        let unknown = try await runCommand(
            FalajProcess.binary, ["admin", "keys", "rewrap", "--region", "mars-1", "--data-dir", falaj.dataDirectory, "--log-level", "error"], timeout: .seconds(120)
        )
        #expect(unknown.status != 0 && unknown.output.contains("no cell for region"))
    }
}
