import AgentProtocol
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

extension AgentRuntime {
    /// Heartbeats at the server's interval until stopped; applies commands and stores renewed credentials.
    func heartbeatLoop(_ context: LoopContext) async {
        let sampler = UtilizationSampler(hasGPUs: !context.inventory.gpus.isEmpty)
        var identity = context.identity
        var failures = 0
        while !Task.isCancelled {
            let request = HeartbeatRequest(
                free: jobs.free(total: context.total),
                freeGPUIndices: jobs.freeGPUIndices(all: context.inventory.gpus.map(\.index)),
                running: jobs.all.map { RunningJobReport(jobID: $0.job.jobID, attempt: $0.job.attempt, nodeRank: $0.rank) } + context.reporter.pending,
                utilization: await sampler.sample())
            var interval = state.withLock { $0.heartbeatInterval }
            do {
                let response = try await context.client.heartbeat(request)
                if failures > 0 { logger.info("heartbeat delivered again after \(failures) failures") }
                failures = 0
                interval = max(1, response.heartbeatIntervalSeconds)
                state.withLock { $0.heartbeatInterval = interval }
                if let credential = response.credential, credential != identity.credential {
                    identity.credential = credential
                    context.client.setCredential(credential.token)
                    do {
                        try await context.store.save(identity)
                    } catch {
                        logger.error("cannot store the renewed credential: \(error)")
                    }
                }
                for command in response.commands { apply(command) }
            } catch where error.kind == .unauthenticated {
                revoke(error)
                return
            } catch {
                failures += 1
                logger.warning("heartbeat failed (\(error)); jobs keep running")
            }
            try? await Task.sleep(for: .seconds(interval))
        }
    }

    /// Carries out one server command.
    func apply(_ command: AgentCommand) {
        switch command.kind {
        case .cancelJob:
            guard let jobID = command.jobID else { return }
            let count = jobs.cancel(jobID: jobID, attempt: command.attempt, reason: command.reason ?? "cancelled by the server")
            logger.info("cancel job \(jobID)\(command.attempt.map { " attempt \($0)" } ?? ""): \(count) running attempt(s) stopped")
        case .drain:
            logger.info("draining: \(command.reason ?? "asked by the server"); no new jobs will be leased")
            state.withLock { $0.isDraining = true }
        case .shutdownReplica:
            guard let jobID = command.jobID else { return }
            let count = jobs.cancel(jobID: jobID, attempt: nil, reason: command.reason ?? "replica shut down by the server")
            logger.info("shut down replica \(jobID): \(count) stopped")
        }
    }

    /// Long-polls for work while there is capacity, handing each leased attempt to `start`; returns when stopping.
    func leaseLoop(_ context: LoopContext, start: (JobExecution) -> Void) async {
        var backoff = Backoff()
        while !Task.isCancelled && !isStopping {
            let free = jobs.free(total: context.total)
            let isDraining = state.withLock { $0.isDraining }
            guard !isDraining, jobs.count < configuration.maxJobs, free.cpuMillis > 0, free.memoryBytes > 0 else {
                try? await Task.sleep(for: .milliseconds(200))
                continue
            }
            let request = LeaseRequest(
                free: free, freeGPUIndices: jobs.freeGPUIndices(all: context.inventory.gpus.map(\.index)),
                maxJobs: configuration.maxJobs - jobs.count, waitSeconds: min(configuration.leaseWaitSeconds, AgentProtocol.maximumLeaseWaitSeconds))
            do {
                // A graceful shutdown abandons the long-poll at once instead of waiting for the server's answer.
                let response = try await cancelWhenGracefulShutdown { try await context.client.lease(request) }
                backoff.reset()
                for job in response.jobs {
                    logger.info("leased job \(job.jobID) attempt \(job.attempt) (\(job.kind))")
                    let control = jobs.add(job)
                    start(JobExecution(
                        control: control, client: context.client, configuration: configuration, inventory: context.inventory,
                        reporter: context.reporter, runAs: context.runAs, logger: logger))
                }
            } catch let error as AgentClientError where error.kind == .unauthenticated {
                revoke(error)
                return
            } catch {
                if isStopping { return }
                let delay = backoff.nextDelay()
                logger.warning("lease request failed (\(error)); retrying in \(delay.secondsText)")
                try? await Task.sleep(for: delay)
            }
        }
    }
}
