import ComputeAgents
public import Foundation
import Logging
import PostgresClient
import Residency
public import ServiceLifecycle
import Tenancy

/// The serving controller: every ``interval`` it finds, in every cell, the running canaries, the variants mid-rollout
/// and the retired replicas whose drain period is over (a read-only transaction under `app.scope = 'serving'`, which
/// sees nothing but those rows, cell migrations 0018 and 0019), then acts on each in its own tenant's transaction as
/// Falaj itself: judges canaries (``Deployments/evaluateCanary(_:context:)``), switches rollouts whose new replicas
/// serve (``Deployments/advanceRollout(deployment:variant:context:)``) and cancels drained replicas' jobs. Suspended
/// tenants are skipped. Errors are logged and the next pass carries on; the service ends promptly on graceful
/// shutdown. Several control-plane processes may run it: every step locks its rows, so nothing moves twice.
public struct ServingController: Service {
    /// How often a pass runs.
    public static let defaultInterval: Duration = .seconds(5)

    /// What one pass did.
    public struct Pass: Sendable, Equatable {
        /// The decision on each running canary.
        public var canaries: [UUID: CanaryDecision] = [:]
        /// What happened to rollouts that moved.
        public var rollouts: [String] = []
        /// Retired replicas whose jobs were cancelled.
        public var drained = 0
    }

    let context: PlatformContext
    let deployments: Deployments
    let jobs: JobQueue
    let interval: Duration

    init(context: PlatformContext, deployments: Deployments, jobs: JobQueue, interval: Duration) {
        (self.context, self.deployments, self.jobs, self.interval) = (context, deployments, jobs, interval)
    }

    /// Runs a pass, then sleeps for the interval, until graceful shutdown or cancellation.
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await runOnce()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One pass over every cell.
    @discardableResult
    public func runOnce() async -> Pass {
        var work: [(tenant: TenantID, step: Step)] = []
        for region in context.router.regionIDs {
            do {
                work += try await context.router.cell(for: region).withTransaction(settings: [("app.scope", "serving")]) { connection in
                    let canaries = try await connection.query("SELECT tenant_id, id FROM deployment_canaries WHERE state = 'running' ORDER BY step_started_at LIMIT 1000")
                    let rollouts = try await connection.query("SELECT tenant_id, deployment_id, name FROM deployment_variants WHERE rollout_version IS NOT NULL LIMIT 1000")
                    let retired = try await connection.query(
                        """
                        SELECT tenant_id, job_id FROM deployment_replicas
                        WHERE retired_at < now() - make_interval(secs => \(Deployments.drainSeconds)) AND drained_at IS NULL LIMIT 1000
                        """
                    )
                    return try canaries.map { (TenantID(try $0["tenant_id", as: UUID.self]), Step.canary(try $0["id", as: UUID.self])) }
                        + rollouts.map {
                            (TenantID(try $0["tenant_id", as: UUID.self]), Step.rollout(try $0["deployment_id", as: UUID.self], try $0["name", as: String.self]))
                        }
                        + retired.map { (TenantID(try $0["tenant_id", as: UUID.self]), Step.drain(try $0["job_id", as: UUID.self])) }
                }
            } catch {
                context.logger.error("serving controller: cannot list its work", metadata: ["region": "\(region)", "error": "\(String(reflecting: error))"])
            }
        }
        var pass = Pass()
        guard !work.isEmpty else { return pass }
        let tenants: [TenantID: TenantSummary]
        do {
            tenants = Dictionary(
                uniqueKeysWithValues: try await TenantDirectory(router: context.router).activeTenants(Array(Set(work.map(\.tenant)))).map { ($0.id, $0) })
        } catch {
            context.logger.error("serving controller: cannot read the tenants", metadata: ["error": "\(String(reflecting: error))"])
            return pass
        }
        for (tenantID, step) in work {
            guard let tenant = tenants[tenantID] else { continue }
            let system = Self.systemContext(tenant)
            do {
                switch step {
                case .canary(let id):
                    guard let decision = try await deployments.evaluateCanary(id, context: system) else { continue }
                    pass.canaries[id] = decision
                    if decision != .hold { log("canary", tenant, "\(decision)") }
                case .rollout(let deployment, let variant):
                    guard let outcome = try await deployments.advanceRollout(deployment: deployment, variant: variant, context: system) else { continue }
                    pass.rollouts.append(outcome)
                    log("rollout", tenant, outcome)
                case .drain(let job):
                    if try await deployments.drainRetiredReplica(job: job, jobs: jobs, context: system) { pass.drained += 1 }
                }
            } catch {
                context.logger.error("serving controller: a step failed", metadata: ["step": "\(step)", "error": "\(String(reflecting: error))"])
            }
        }
        return pass
    }

    /// One thing to do in a tenant.
    enum Step: Sendable {
        case canary(UUID)
        case rollout(UUID, String)
        case drain(UUID)
    }

    private func log(_ what: String, _ tenant: TenantSummary, _ outcome: String) {
        context.logger.info("serving controller: \(what)", metadata: ["tenant": "\(tenant.slug)", "outcome": "\(outcome)"])
    }

    /// Falaj acting in `tenant` on deployments and their replicas' jobs (audited as `system`).
    static func systemContext(_ tenant: TenantSummary) -> RequestContext {
        let permissions: Set<Permission> = [.deploymentsRead, .deploymentsWrite, .jobsRead, .jobsWrite]
        return RequestContext(
            tenant: tenant, actor: .system, role: Role(key: "system", displayName: "Falaj", permissions: permissions, isBuiltIn: false),
            permissions: permissions, requestID: "serving-controller", clientAddress: "")
    }
}
