import AgentProtocol
@testable import ComputeAgents
import FalajCrypto
import Foundation
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

/// The lease statement keeps its plans for the life of a database connection (cell migration 0008). These tests prove
/// those plans stay index walks when the queue grows long after they were made on a nearly empty table whose
/// statistics Postgres has not refreshed, by counting the buffers one lease touches (a count, not a time).
@Suite struct LeasePlanStabilityTests {
    /// Buffers one single-job lease may touch. An index walk with its inserts touches a few dozen; a plan that scans the
    /// queue, or every job of the tenant (an index on tenant_id), touches hundreds with the 20,000 jobs queued here.
    static let bufferBudget = 150

    @Test func aLeaseStaysAnIndexWalkWhenTheQueueGrowsAfterItsPlansWereMade() async throws {
        try await DispatchFixture.with { fixture in
            let owner = try await fixture.tenant("Bursty", region: "eu-west-1")
            let agent = try await fixture.agent()
            let configuration = try #require(fixture.environment.appConfigurations["eu-west-1"])
            let connection = try await PostgresConnection.connect(configuration: configuration)
            defer { connection.close() }

            // Plans are made now, on one connection, while the queue is short and has no statistics. Postgres makes
            // custom plans for the first five runs of a statement and may keep a generic one from then on, so lease more.
            for _ in 0..<8 { try await fixture.submit(owner) }
            for _ in 0..<8 { #expect(try await Self.lease(agent, on: connection).count == 1) }
            #expect(try await Self.lease(agent, on: connection).isEmpty)

            // A burst: 20,000 queued jobs in one statement; nothing analyses the table (autovacuum is held off, or it
            // could refresh the statistics mid-test, which the second half covers on purpose).
            try await fixture.inCell("eu-west-1", "ALTER TABLE jobs SET (autovacuum_enabled = false)")
            try await fixture.inCell(
                "eu-west-1",
                """
                INSERT INTO jobs (tenant_id, id, kind, cpu_millis, memory_bytes, fair_seq, allowed_regions, submitted_by)
                SELECT \(owner.tenantID.rawValue), gen_random_uuid(), 'burst.job', 100, 0, n + 10, ARRAY['eu-west-1'], 'system'
                FROM generate_series(1, 20000) AS n
                """
            )
            for _ in 0..<3 {
                let buffers = try await Self.buffersTouchedByOneLease(agent, on: connection)
                #expect(buffers < Self.bufferBudget, "one lease touched \(buffers) buffers")
            }

            // Once the statistics are refreshed (autoanalyze after a burst), the next lease plans again, reading the
            // catalogs once; the leases after it are index walks too.
            try await fixture.inCell("eu-west-1", "ANALYZE jobs")
            _ = try await Self.buffersTouchedByOneLease(agent, on: connection)
            for _ in 0..<2 {
                let buffers = try await Self.buffersTouchedByOneLease(agent, on: connection)
                #expect(buffers < Self.bufferBudget, "after ANALYZE, one lease touched \(buffers) buffers")
            }
        }
    }

    @Test func theLeaseFunctionCarriesItsPlannerSettings() async throws {
        try await DispatchFixture.with { fixture in
            // What keeps its plans index walks, planned once, and never JIT-compiled (see cell migration 0008).
            let settings = try await fixture.environment.asSuperuser(region: "eu-west-1") { connection in
                try await connection.query("SELECT unnest(proconfig) AS setting FROM pg_proc WHERE proname = 'lease_queued_jobs'").map {
                    try $0["setting", as: String.self]
                }
            }
            #expect(Set(settings) == ["enable_sort=off", "enable_seqscan=off", "plan_cache_mode=force_generic_plan", "jit=off"])
        }
    }

    /// Calls the lease function for one job the way the dispatcher does.
    static func lease(_ agent: AgentIdentity, on connection: PostgresConnection) async throws -> [PostgresRow] {
        try await connection.query(statement(agent, explain: false)).filter { try $0["outcome", as: String.self] == "leased" }
    }

    /// Runs one lease under `EXPLAIN (ANALYZE, BUFFERS)` and returns the shared buffers its function scan touched,
    /// which include every statement inside the function and the foreign-key checks they fire.
    static func buffersTouchedByOneLease(_ agent: AgentIdentity, on connection: PostgresConnection) async throws -> Int {
        let plan = try await connection.query(statement(agent, explain: true)).map { try $0[0, as: String.self] }.joined()
        let document = try JSONSerialization.jsonObject(with: Data(plan.utf8)) as? [[String: Any]]
        let root = try #require(document?.first?["Plan"] as? [String: Any])
        #expect((root["Actual Rows"] as? Int) == 1, "the lease leased \(root["Actual Rows"] ?? "?") jobs")
        return ((root["Shared Hit Blocks"] as? Int) ?? 0) + ((root["Shared Read Blocks"] as? Int) ?? 0)
    }

    private static func statement(_ agent: AgentIdentity, explain: Bool) -> PostgresQuery {
        let hash = Hex.encode(JobTokens.make(region: agent.region).hash)
        let call: PostgresQuery = """
            SELECT * FROM lease_queued_jobs(\(agent.id), \(agent.region), \(agent.address), '{}'::jsonb, NULL, '{}'::text[], 8000, 34359738368::bigint,
                                            '{}'::integer[], 1, 3600::double precision, ARRAY[\(hash)]::text[], '{}'::uuid[], true)
            """
        return explain ? PostgresQuery(unsafeSQL: "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + call.sql, bindings: call.bindings) : call
    }
}
