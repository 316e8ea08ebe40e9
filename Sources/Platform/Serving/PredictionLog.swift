public import Foundation
import Logging
import PostgresClient
public import Residency
import ServiceLifecycle
import Synchronization

/// One answered prediction request, as the gateway hands it to the ``PredictionLog``.
public struct PredictionRecord: Sendable {
    /// The caller's tenant.
    public var tenant: TenantID
    /// The request id the answer carried (what feedback names).
    public var requestID: String
    /// The deployment, variant and model version that answered.
    public var deploymentID: UUID, variant: String, modelID: UUID, version: Int
    /// The HTTP status answered and the time the replica took.
    public var status: Int, latencyMs: Double
    /// Rows predicted.
    public var rows: Int
    /// The first row's predicted label and value, when it succeeded.
    public var label: String?, value: Double?
    /// For a shadow variant's answer: the request it copied (whose feedback it shares).
    public var shadowOf: String?
    /// The request's inputs (sensitive ones left out) and the answer, for a sampled request.
    public var payload: (request: String, response: String?, excluded: [String])?

    /// Creates a record.
    public init(
        tenant: TenantID, requestID: String, deploymentID: UUID, variant: String, modelID: UUID, version: Int, status: Int, latencyMs: Double, rows: Int,
        label: String?, value: Double?, shadowOf: String? = nil
    ) {
        (self.tenant, self.requestID, self.deploymentID, self.variant, self.modelID, self.version) = (tenant, requestID, deploymentID, variant, modelID, version)
        (self.status, self.latencyMs, self.rows, self.label, self.value, self.shadowOf) = (status, latencyMs, rows, label, value, shadowOf)
    }
}

/// Collects prediction records in memory and writes them in batches (one transaction per tenant per flush, rows
/// passed as arrays), so the gateway never waits for the database. At most ``capacity`` records wait; beyond that new
/// ones are counted in ``droppedCount`` and left out, so a stalled database cannot exhaust memory.
public final class PredictionLog: Sendable {
    /// Records held at most between flushes.
    public static let capacity = 200_000

    let context: PlatformContext
    private let pending = Mutex<[PredictionRecord]>([])
    private let dropped = Atomic<Int>(0)
    private let droppedReported = Atomic<Int>(0)

    init(context: PlatformContext) { self.context = context }

    /// Queues a record (never blocks).
    public func record(_ record: PredictionRecord) {
        let accepted = pending.withLock { records -> Bool in
            guard records.count < Self.capacity else { return false }
            records.append(record)
            return true
        }
        if !accepted { dropped.add(1, ordering: .relaxed) }
    }

    /// Records left out because the queue was full.
    public var droppedCount: Int { dropped.load(ordering: .relaxed) }

    /// Writes everything queued so far. A batch that fails goes back to the front of the queue (within capacity).
    /// Records dropped since the last flush are logged as a warning.
    public func flush() async {
        let droppedNow = dropped.load(ordering: .relaxed)
        let reported = droppedReported.exchange(droppedNow, ordering: .relaxed)
        if droppedNow > reported {
            context.logger.warning("prediction log: \(droppedNow - reported) records dropped because \(Self.capacity) were waiting (the database is behind)")
        }
        let batch = pending.withLock { records -> [PredictionRecord] in
            defer { records.removeAll(keepingCapacity: true) }
            return records
        }
        guard !batch.isEmpty else { return }
        for (tenant, records) in Dictionary(grouping: batch, by: \.tenant) {
            do {
                try await write(records, tenant: tenant)
            } catch {
                context.logger.warning("prediction log: \(records.count) records of tenant \(tenant) not written yet: \(error)")
                pending.withLock { $0.insert(contentsOf: records.prefix(max(0, Self.capacity - $0.count)), at: 0) }
            }
        }
    }

    private func write(_ records: [PredictionRecord], tenant: TenantID) async throws {
        let query: PostgresQuery = """
            INSERT INTO prediction_log (tenant_id, request_id, deployment_id, variant, model_id, version, status, latency_ms, row_count, label, value, shadow_of)
            SELECT \(tenant.rawValue), r, d::uuid, v, m::uuid, n, s, l, c, NULLIF(p, ''), NULLIF(x, 'NaN'::double precision), NULLIF(o, '')
            FROM unnest(\(records.map(\.requestID)), \(records.map { $0.deploymentID.uuidString }), \(records.map(\.variant)),
                        \(records.map { $0.modelID.uuidString }), \(records.map(\.version)), \(records.map(\.status)), \(records.map(\.latencyMs)),
                        \(records.map(\.rows)), \(records.map { $0.label ?? "" }), \(records.map { $0.value ?? .nan }), \(records.map { $0.shadowOf ?? "" }))
                 AS t(r, d, v, m, n, s, l, c, p, x, o)
            ON CONFLICT (tenant_id, request_id) DO NOTHING
            """
        let sampled = records.compactMap { record in record.payload.map { (record, $0) } }
        // The sampled payloads in one statement too; `excluded` travels as a JSON array per row.
        let payloads: PostgresQuery = """
            INSERT INTO prediction_payloads (tenant_id, request_id, deployment_id, variant, status, request, response, excluded)
            SELECT \(tenant.rawValue), r, d::uuid, v, s, q::jsonb, NULLIF(a, '')::jsonb, ARRAY(SELECT jsonb_array_elements_text(e::jsonb))
            FROM unnest(\(sampled.map(\.0.requestID)), \(sampled.map { $0.0.deploymentID.uuidString }), \(sampled.map(\.0.variant)),
                        \(sampled.map(\.0.status)), \(sampled.map(\.1.request)), \(sampled.map { $0.1.response ?? "" }),
                        \(sampled.map { Self.jsonArray($0.1.excluded) }))
                 AS t(r, d, v, s, q, a, e)
            ON CONFLICT (tenant_id, request_id) DO NOTHING
            """
        try await context.router.withTenantTransaction(tenant) { connection in
            try await connection.execute(query)
            if !sampled.isEmpty { try await connection.execute(payloads) }
        }
    }
}

extension PredictionLog {
    /// `names` as a JSON array of strings.
    static func jsonArray(_ names: [String]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: names)) ?? Data("[]".utf8), as: UTF8.self)
    }
}

/// Flushes the ``PredictionLog`` every 250 ms, and once more on shutdown.

struct PredictionLogService: Service {
    let log: PredictionLog

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            await log.flush()
        }
        await log.flush()
    }
}
