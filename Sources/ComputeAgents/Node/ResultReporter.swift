import AgentProtocol
import BlockingPool
import Foundation
import Glibc
import Logging
import Synchronization

/// A result waiting for the server's acknowledgement, persisted under `<data-dir>/pending/`.
struct PendingResult: Codable, Sendable, Equatable {
    var jobID: UUID
    var attempt: Int
    var nodeRank: Int
    var token: String
    var report: JobResultReport

    var fileName: String { "\(jobID.uuidString.lowercased())-a\(attempt)-r\(nodeRank).json" }
}

/// Delivers results idempotently: persisted before the first try, retried with back-off until acknowledged, dropped
/// on 409 (a stale attempt) or a refused token. An agent restart re-delivers whatever is still on disk.
final class ResultReporter: Sendable {
    private let client: AgentClient
    private let directory: String
    private let logger: Logger
    private let inFlight = Mutex<[String: PendingResult]>([:])

    init(client: AgentClient, dataDirectory: String, logger: Logger) {
        self.client = client
        directory = dataDirectory + "/pending"
        self.logger = logger
    }

    /// Attempts whose results are not acknowledged yet (reported in heartbeats as still running).
    var pending: [RunningJobReport] {
        inFlight.withLock { $0.values.map { RunningJobReport(jobID: $0.jobID, attempt: $0.attempt, nodeRank: $0.nodeRank) } }
    }

    /// Results left on disk by an earlier run.
    func loadPersisted() async -> [PendingResult] {
        let directory = directory
        return await BlockingPool.shared.run {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
                FileManager.default.contents(atPath: directory + "/" + name).flatMap { try? AgentProtocol.decoder.decode(PendingResult.self, from: $0) }
            }
        }
    }

    /// Persists `result`, then delivers it; returns when acknowledged, dropped, or the task is cancelled (the file
    /// stays for the next start).
    func deliver(_ result: PendingResult) async {
        inFlight.withLock { $0[result.fileName] = result }
        defer { inFlight.withLock { _ = $0.removeValue(forKey: result.fileName) } }
        do {
            try await persist(result)
        } catch {
            logger.warning("cannot persist the result of job \(result.jobID): \(error); delivering it from memory only")
        }
        do {
            let acknowledgement = try await AgentClient.retrying(onRetry: { [logger] error, delay in
                logger.info("result of job \(result.jobID) attempt \(result.attempt) not delivered (\(error)); retrying in \(delay.secondsText)")
            }) {
                try await client.postResult(job: result.jobID, result.report, token: result.token)
            }
            logger.info("result of job \(result.jobID) attempt \(result.attempt) delivered: \(result.report.outcome.rawValue), job is \(acknowledgement.state)")
        } catch let error as AgentClientError where error.kind == .conflict {
            logger.warning("result discarded: attempt \(result.attempt) is no longer current (job \(result.jobID))")
        } catch let error as AgentClientError {
            logger.error("result of job \(result.jobID) attempt \(result.attempt) refused: \(error); dropping it")
        } catch {
            return  // cancelled: keep the file for the next start
        }
        await remove(result)
    }

    private func persist(_ result: PendingResult) async throws {
        let data = try AgentProtocol.encoder.encode(result)
        let directory = directory
        try await BlockingPool.shared.run {
            try CredentialStore.writeAtomically(data, to: directory + "/" + result.fileName, directory: directory)
        }
    }

    private func remove(_ result: PendingResult) async {
        let path = directory + "/" + result.fileName
        await BlockingPool.shared.run { _ = unlink(path) }
    }
}
