public import Foundation
import Logging
import PostgresClient
import Residency
public import ServiceLifecycle
import Tenancy

/// The serving controller: every ``interval`` it finds the running canaries of every cell (a read-only transaction
/// under `app.scope = 'serving'`, which sees nothing but running canaries' ids, cell migration 0018) and judges each in
/// its own tenant's transaction as Falaj itself (``Deployments/evaluateCanary(_:context:)``): hold, advance, complete,
/// or roll back when a guardrail trips. Suspended tenants are skipped. Errors are logged and the next pass carries on;
/// the service ends promptly on graceful shutdown. Several control-plane processes may run it: each canary is judged
/// with its row locked, so two passes never move it twice.
public struct CanaryController: Service {
    /// How often the running canaries are judged.
    public static let defaultInterval: Duration = .seconds(5)

    let context: PlatformContext
    let deployments: Deployments
    let interval: Duration

    init(context: PlatformContext, deployments: Deployments, interval: Duration) {
        self.context = context
        self.deployments = deployments
        self.interval = interval
    }

    /// Runs a pass, then sleeps for the interval, until graceful shutdown or cancellation.
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await runOnce()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One pass over every cell; what was decided for each running canary.
    @discardableResult
    public func runOnce() async -> [UUID: CanaryDecision] {
        var running: [(tenant: TenantID, canary: UUID)] = []
        for region in context.router.regionIDs {
            do {
                running += try await context.router.cell(for: region).withTransaction(settings: [("app.scope", "serving")]) { connection in
                    try await connection.query("SELECT tenant_id, id FROM deployment_canaries WHERE state = 'running' ORDER BY step_started_at LIMIT 1000").map {
                        (TenantID(try $0["tenant_id", as: UUID.self]), try $0["id", as: UUID.self])
                    }
                }
            } catch {
                context.logger.error("canary controller: cannot list running canaries", metadata: ["region": "\(region)", "error": "\(String(reflecting: error))"])
            }
        }
        guard !running.isEmpty else { return [:] }
        var decisions: [UUID: CanaryDecision] = [:]
        do {
            let tenants = try await TenantDirectory(router: context.router).activeTenants(Array(Set(running.map(\.tenant))))
            let byID = Dictionary(uniqueKeysWithValues: tenants.map { ($0.id, $0) })
            for (tenantID, canary) in running {
                guard let tenant = byID[tenantID] else { continue }
                do {
                    if let decision = try await deployments.evaluateCanary(canary, context: Self.systemContext(tenant)) {
                        decisions[canary] = decision
                        if decision != .hold {
                            context.logger.info("canary controller", metadata: ["tenant": "\(tenant.slug)", "canary": "\(canary)", "decision": "\(decision)"])
                        }
                    }
                } catch {
                    context.logger.error("canary controller: cannot judge a canary", metadata: ["canary": "\(canary)", "error": "\(String(reflecting: error))"])
                }
            }
        } catch {
            context.logger.error("canary controller: cannot read the tenants", metadata: ["error": "\(String(reflecting: error))"])
        }
        return decisions
    }

    /// Falaj acting in `tenant` on deployments (audited as `system`).
    static func systemContext(_ tenant: TenantSummary) -> RequestContext {
        let permissions: Set<Permission> = [.deploymentsRead, .deploymentsWrite]
        return RequestContext(
            tenant: tenant, actor: .system, role: Role(key: "system", displayName: "Falaj", permissions: permissions, isBuiltIn: false),
            permissions: permissions, requestID: "canary-controller", clientAddress: "")
    }
}
