import AgentProtocol
import Foundation
import ServiceLifecycle

// Temporary placeholders so the registry branch compiles and its tests run before the dispatch branch lands; the
// dispatch branch's version of this file replaces it at merge.
extension Dispatcher {
    /// Renews the leases of the attempts an agent reports and answers with cancel commands (placeholder: none).
    func reconcile(_ agent: AgentIdentity, running: [RunningJobReport]) async throws -> [AgentCommand] { [] }

    /// Queues the jobs of a lost or revoked agent again (placeholder: releases nothing).
    func releaseLeases(ofAgent agentID: UUID, reason: String) async throws -> Int { 0 }

    /// Ends leases that were not renewed in time (placeholder: none).
    func expireLeases() async throws -> Int { 0 }

    /// Releases gang reservations past their timeout (placeholder: none).
    func releaseStaleGangs() async throws -> Int { 0 }

    /// Writes why waiting jobs wait (placeholder: none).
    func explainWaitingJobs() async throws -> Int { 0 }

    /// The dispatch wake-up listeners (placeholder: a service that waits for graceful shutdown).
    var wakeUpService: any Service { PlaceholderWakeUpService() }
}

/// Does nothing until graceful shutdown.
struct PlaceholderWakeUpService: Service {
    func run() async throws {
        try? await gracefulShutdown()
    }
}
