import AgentProtocol
import Foundation
import HTTPClient
import PostgresClient
import Residency
import Tenancy

extension DispatchBenchmark {
    /// The bench tenant's queued jobs.
    func queued(_ tenant: TenantID) async throws -> Int {
        try await tenancy.environment.router.withTenantTransaction(tenant) { connection in
            try await connection.query("SELECT count(*)::bigint AS n FROM jobs WHERE state = 'queued'")[0]["n", as: Int.self]
        }
    }

    /// How many attempts the bench tenant's jobs have had, and how many distinct jobs they belong to (equal when no
    /// job was leased twice).
    func attempts(_ tenant: TenantID) async throws -> (count: Int, jobs: Int) {
        try await tenancy.environment.router.withTenantTransaction(tenant) { connection in
            let row = try await connection.query("SELECT count(*)::bigint AS n, count(DISTINCT job_id)::bigint AS jobs FROM job_attempts")[0]
            return (try row["n", as: Int.self], try row["jobs", as: Int.self])
        }
    }

    /// Queues `count` tiny jobs for the bench tenant in one statement (the submission path is measured by the latency
    /// phase), and wakes the long-polls as a submission does.
    func prefill(count: Int, context: RequestContext) async throws {
        try await tenancy.environment.router.withTenantTransaction(context.tenantID) { connection in
            try await connection.execute(
                """
                INSERT INTO jobs (tenant_id, id, kind, cpu_millis, memory_bytes, fair_seq, allowed_regions, submitted_by)
                SELECT \(context.tenantID.rawValue), gen_random_uuid(), 'bench.noop', 1, 0, n, ARRAY['me-central-1'], 'system'
                FROM generate_series(1, \(count)) AS n
                """
            )
            try await connection.execute("SELECT pg_notify('falaj_dispatch', '')")
        }
    }
}

/// The machine's CPU time, for CPU-per-job figures.
enum MachineCPU {
    /// CPU time spent by the machine since boot, all cores, in milliseconds: user, nice, system, irq and softirq ticks of
    /// `/proc/stat` (idle, iowait and steal left out). Every process counts (server, Postgres, simulated agents and
    /// anything else running), so CPU per job is meaningful while the bench has the machine to itself; it does not
    /// count time spent waiting for a core, so it moves less than a rate when the machine is shared. `/proc/stat` is
    /// generated in memory by the kernel: reading it never waits for a disk.
    static func busyMilliseconds() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8), let line = text.split(separator: "\n").first else { return 0 }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 7 else { return 0 }
        return (ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]) * 1000 / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// How many jobs the agents have leased so far, for the throughput loop.
actor LeaseCounter {
    private(set) var total = 0
    func add(_ count: Int) { total += count }
}

/// Which submitted jobs an agent has leased, for the latency loop.
actor ArrivalBoard {
    private var arrived: Set<UUID> = []
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]

    func arrived(_ id: UUID) {
        if let waiter = waiters.removeValue(forKey: id) { waiter.resume() } else { arrived.insert(id) }
    }

    func wait(for id: UUID) async {
        if arrived.remove(id) != nil { return }
        await withCheckedContinuation { waiters[id] = $0 }
    }
}

extension Duration {
    /// The duration in milliseconds.
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}

extension HTTPClient {
    /// POSTs `body` as JSON to an agent endpoint and decodes the answer; non-2xx throws with the server's detail.
    func agentJSON<Response: Decodable>(_ url: String, body: some Encodable, bearer: String?) async throws -> Response {
        var headers = [(name: "Content-Type", value: "application/json"), (name: AgentProtocol.versionHeader, value: String(AgentProtocol.version))]
        if let bearer { headers.append((name: "Authorization", value: "Bearer " + bearer)) }
        let response = try await execute(HTTPClientRequest(method: "POST", url: url, headers: headers, body: .bytes(Array(try AgentProtocol.encoder.encode(body)))))
        guard (200..<300).contains(response.status) else {
            throw BootstrapError(message: "\(url) answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        return try AgentProtocol.decoder.decode(Response.self, from: Data(response.body))
    }
}
