public import Foundation
public import Logging
import PostgresClient
public import ServiceLifecycle

/// Enforces every tenant's retention policies: on each pass, for each tenant and category, deletes at most one batch
/// of expired rows in the tenant's home cell, then sleeps for the interval. Ends on graceful shutdown.
///
/// A batch per tenant per pass keeps one tenant with a large backlog from holding locks for long or starving the
/// others; the backlog shrinks by ``Configuration/batchSize`` rows per pass.
public struct RetentionService: Service {
    /// Tuning.
    public struct Configuration: Sendable {
        /// Time between passes; default one hour.
        public var interval: Duration
        /// Most rows deleted per tenant, category and pass; default 1000 (at most 1000).
        public var batchSize: Int

        /// Creates a configuration.
        /// - Parameters:
        ///   - interval: time between passes (default one hour).
        ///   - batchSize: rows per tenant, category and pass (default and maximum 1000).
        public init(interval: Duration = .seconds(3600), batchSize: Int = 1000) {
            self.interval = interval
            self.batchSize = max(1, min(batchSize, 1000))
        }
    }

    /// What one pass deleted: category id → rows, summed over tenants.
    public typealias PassResult = [String: Int]

    let router: CellRouter
    let configuration: Configuration
    let logger: Logger

    /// Creates the service.
    /// - Parameters:
    ///   - router: finds each tenant's cell; its directory lists the tenants.
    ///   - configuration: interval and batch size.
    ///   - logger: where failures of a pass go (a failed tenant does not stop the others).
    public init(router: CellRouter, configuration: Configuration = Configuration(), logger: Logger) {
        self.router = router
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs passes until graceful shutdown or cancellation.
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            _ = await runOnce()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: configuration.interval) }
        }
    }

    /// One pass over every active or suspended tenant. Errors are logged per tenant and do not stop the pass.
    /// - Returns: rows deleted per category.
    @discardableResult
    public func runOnce(now: Date = Date()) async -> PassResult {
        var result: PassResult = [:]
        let tenants: [TenantID]
        do {
            tenants = try await router.directory.withConnection { connection in
                try await connection.query("SELECT id FROM tenants WHERE status IN ('active', 'suspended') ORDER BY id")
                    .map { TenantID(try $0["id", as: UUID.self]) }
            }
        } catch {
            logger.error("retention: cannot list tenants", metadata: ["error": "\(String(reflecting: error))"])
            return result
        }
        for tenant in tenants where !Task.isCancelled {
            do {
                for (category, deleted) in try await enforce(tenant, now: now) { result[category, default: 0] += deleted }
            } catch {
                logger.error("retention: tenant failed", metadata: ["tenant": "\(tenant)", "error": "\(String(reflecting: error))"])
            }
        }
        return result
    }

    /// Deletes one batch per category for `tenant`, in one transaction on its home cell.
    /// - Returns: rows deleted per category id (categories whose table is missing are left out).
    public func enforce(_ tenant: TenantID, now: Date = Date()) async throws -> PassResult {
        let batchSize = configuration.batchSize
        return try await router.withTenantTransaction(tenant) { connection in
            var deleted: PassResult = [:]
            for policy in try await RetentionPolicies.effective(on: connection) {
                let category = policy.category
                let exists = try await connection.query("SELECT to_regclass(\(category.table)) IS NOT NULL AS present")[0]["present", as: Bool.self]
                guard exists else { continue }
                var bindings = PostgresBindings()
                bindings.append(now.addingTimeInterval(-Double(policy.days) * 86_400))
                bindings.append(batchSize)
                let table = PostgresQuery.quoteIdentifier(category.table)
                // Table and predicate are constants of RetentionCategory; the cut-off and limit are bound.
                let query = PostgresQuery(
                    unsafeSQL: "DELETE FROM \(table) WHERE ctid IN (SELECT ctid FROM \(table) WHERE \(category.isExpired) LIMIT $2)",
                    bindings: bindings
                )
                deleted[category.id] = try await connection.execute(query)
            }
            return deleted
        }
    }
}
