public import Foundation
import Logging
import PostgresClient
public import Residency
public import ServiceLifecycle

/// Works through queued data-subject requests in every tenant of every cell: exports, erasures of a person and
/// erasures of an organisation, each as a sequence of named steps recorded in `data_subject_requests.step`.
///
/// A request is claimed with `FOR UPDATE SKIP LOCKED`, so any number of control-plane replicas can run the service.
/// A step records its completion in the same transaction as its work where it can, and is idempotent where it
/// cannot (directory changes, key shredding), so an interrupted request is taken up again on a later pass — or by
/// another replica once its lease lapses — and resumes after its last completed step. Ends on graceful shutdown.
public struct DataSubjectRequestRunner: Service {
    /// Tuning.
    public struct Configuration: Sendable {
        /// Time between passes; default 15 seconds.
        public var interval: Duration
        /// A running request not finished after this long is claimed again; default 10 minutes.
        public var leaseSeconds: Int
        /// Attempts before a request is marked failed for an operator to look at; default 5.
        public var maxAttempts: Int
        /// Rows deleted per transaction during tenant erasure; default 1000.
        public var batchSize: Int

        /// Creates a configuration.
        /// - Parameters:
        ///   - interval: time between passes (default 15 s).
        ///   - leaseSeconds: when a running request counts as abandoned (default 600).
        ///   - maxAttempts: attempts before `failed` (default 5).
        ///   - batchSize: rows per delete transaction in tenant erasure (default 1000).
        public init(interval: Duration = .seconds(15), leaseSeconds: Int = 600, maxAttempts: Int = 5, batchSize: Int = 1000) {
            self.interval = interval
            self.leaseSeconds = leaseSeconds
            self.maxAttempts = maxAttempts
            self.batchSize = max(1, min(batchSize, 1000))
        }
    }

    /// Called at each step boundary with the request id and a step label (`delete_rows:users`, `shred_keys`, …)
    /// before the step's work; throwing interrupts the request there. For fault-injection tests; production passes nil.
    public typealias FaultInjection = @Sendable (_ request: UUID, _ label: String) throws -> Void

    let environment: TenancyEnvironment
    let shredder: any TenantKeyShredder
    let configuration: Configuration
    let faults: FaultInjection?

    /// Creates the runner.
    /// - Parameters:
    ///   - environment: the tenancy environment (router, secrets, logger).
    ///   - shredder: destroys a tenant's data keys during tenant erasure.
    ///   - configuration: interval, lease, attempts and batch size.
    ///   - faults: fault injection for tests (default none).
    public init(
        environment: TenancyEnvironment,
        shredder: any TenantKeyShredder,
        configuration: Configuration = Configuration(),
        faults: FaultInjection? = nil
    ) {
        self.environment = environment
        self.shredder = shredder
        self.configuration = configuration
        self.faults = faults
    }

    var router: CellRouter { environment.router }
    var logger: Logger { environment.logger }

    /// Runs passes until graceful shutdown or cancellation.
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            _ = await runOnce()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: configuration.interval) }
        }
    }

    /// One pass: every tenant not yet erased, every claimable request, then expired exports are destroyed.
    /// Failures are recorded on the request and logged; they never stop the pass.
    /// - Returns: how many requests were finished in this pass.
    @discardableResult
    public func runOnce() async -> Int {
        let tenants: [TenantID]
        do {
            tenants = try await router.directory.withConnection { connection in
                try await connection.query("SELECT id FROM tenants WHERE status <> 'provisioning' AND erased_at IS NULL ORDER BY created_at")
                    .map { TenantID(try $0["id", as: UUID.self]) }
            }
        } catch {
            logger.error("data-subject requests: cannot list tenants", metadata: ["error": "\(String(reflecting: error))"])
            return 0
        }
        var finished = 0
        for tenant in tenants where !Task.isCancelled {
            do {
                // A request that fails goes back to the queue for the next pass, not straight back to this loop.
                while let request = try await claim(in: tenant) {
                    guard await process(request, tenant: tenant) else { break }
                    finished += 1
                }
                try await router.withTenantTransaction(tenant) { connection in
                    try await connection.execute(
                        "UPDATE data_exports SET sealed = NULL, wrapped_key = NULL WHERE sealed IS NOT NULL AND expires_at <= now()"
                    )
                }
            } catch {
                logger.error("data-subject requests: tenant failed", metadata: ["tenant": "\(tenant)", "error": "\(String(reflecting: error))"])
            }
        }
        return finished
    }

    /// Claims the oldest queued (or abandoned running) request of `tenant`, counting the attempt.
    func claim(in tenant: TenantID) async throws -> DataSubjectRequest? {
        try await router.withTenantTransaction(tenant) { connection in
            let claimed = try await connection.query(
                """
                UPDATE data_subject_requests SET status = 'running', attempts = attempts + 1, claimed_at = now()
                WHERE id = (SELECT id FROM data_subject_requests
                            WHERE status = 'queued' OR (status = 'running' AND claimed_at < now() - make_interval(secs => \(configuration.leaseSeconds)))
                            ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id
                """
            )
            guard let id = try claimed.first?["id", as: UUID.self] else { return nil }
            return try await connection.query(DataSubjectRequest.select("WHERE r.id = \(id)")).first.map(DataSubjectRequest.init(row:))
        }
    }

    /// Runs the request's remaining steps. On failure the request goes back to `queued` (or `failed` after
    /// ``Configuration/maxAttempts``) with the reason. Returns whether it finished.
    func process(_ request: DataSubjectRequest, tenant: TenantID) async -> Bool {
        do {
            switch request.kind {
            case .export: try await export(request, tenant: tenant)
            case .erasure where request.subjectUserID != nil: try await eraseUser(request, tenant: tenant)
            case .erasure: try await eraseTenant(request, tenant: tenant)
            }
            return true
        } catch {
            logger.warning(
                "data-subject request interrupted",
                metadata: ["tenant": "\(tenant)", "request": "\(request.id)", "error": "\(String(reflecting: error))"]
            )
            let reason = String(String(describing: error).prefix(500))
            _ = try? await router.withTenantTransaction(tenant) { connection in
                try await connection.execute(
                    """
                    UPDATE data_subject_requests
                    SET status = CASE WHEN attempts >= \(configuration.maxAttempts) THEN 'failed' ELSE 'queued' END, error = \(reason)
                    WHERE id = \(request.id)
                    """
                )
            }
            return false
        }
    }

    /// Calls the fault injection, if any.
    func checkpoint(_ request: DataSubjectRequest, _ label: String) throws {
        try faults?(request.id, label)
    }

    /// Records that `step` completed, on the step's own transaction.
    nonisolated(nonsending) static func complete(_ step: String, of request: DataSubjectRequest, on connection: PostgresConnection) async throws {
        try await connection.execute("UPDATE data_subject_requests SET step = \(step) WHERE id = \(request.id)")
    }

    /// Marks the request done with its final audit event, on one transaction.
    nonisolated(nonsending) static func finish(
        _ request: DataSubjectRequest,
        tenant: TenantID,
        event: AuditEvent,
        on connection: PostgresConnection
    ) async throws {
        try await connection.execute(
            "UPDATE data_subject_requests SET status = 'done', step = 'done', error = NULL, finished_at = now() WHERE id = \(request.id)"
        )
        try await AuditLog.record(event, tenant: tenant, on: connection)
    }
}
