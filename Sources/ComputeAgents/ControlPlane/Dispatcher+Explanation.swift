import AgentProtocol
import Foundation
import PostgresClient
import Residency

/// An agent as the explanation of waiting jobs sees it.
struct AgentSnapshot {
    var id: UUID
    var region: String
    var dedicatedTenantID: UUID?
    var isLive: Bool
    var labels: [String: String]
    var gpuNames: [String]
    var capacity: ResourceAmounts
}

/// A queued job as the explanation sees it.
struct WaitingJob {
    var tenantID: UUID
    var allowedRegions: [String]
    var resources: ResourceRequest
    var nodeSelector: [String: String]
}

/// Why a queued job is not running, in one sentence for the job page.
enum WaitExplanation {
    static func note(for job: WaitingJob, agents: [AgentSnapshot]) -> String {
        let allowed = job.allowedRegions
        let allowedList = allowed.joined(separator: ", ")
        let enrolled = agents.filter { allowed.contains($0.region) }
        let elsewhere = Array(Set(agents.filter { !allowed.contains($0.region) }.map(\.region))).sorted()
        let unusedSuffix =
            elsewhere.isEmpty
            ? "" : "; agents in \(elsewhere.joined(separator: ", ")) are not used: the residency policy does not allow processing there"
        guard !enrolled.isEmpty else {
            return "No agent is enrolled in the regions the residency policy allows (\(allowedList))" + unusedSuffix
        }
        let live = enrolled.filter(\.isLive)
        guard !live.isEmpty else { return "No agent in \(allowedList) is ready (every one is lost, draining or revoked)" + unusedSuffix }
        let ownOrShared = live.filter { $0.dedicatedTenantID == nil || $0.dedicatedTenantID == job.tenantID }
        guard !ownOrShared.isEmpty else { return "Every ready agent in \(allowedList) is dedicated to another organisation" }
        let labelled = ownOrShared.filter { agent in job.nodeSelector.allSatisfy { agent.labels[$0.key] == $0.value } }
        guard !labelled.isEmpty else {
            let labels = job.nodeSelector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            return "No ready agent in \(allowedList) carries the labels \(labels)"
        }
        let resources = job.resources
        let withGPUs = labelled.filter { agent in
            guard resources.gpus > 0 else { return true }
            let matching = resources.gpuType.map { type in agent.gpuNames.filter { $0.lowercased().contains(type.lowercased()) } } ?? agent.gpuNames
            return matching.count >= resources.gpus
        }
        guard !withGPUs.isEmpty else {
            let gpus = "\(resources.gpus) GPU\(resources.gpus == 1 ? "" : "s")" + (resources.gpuType.map { " of type \($0)" } ?? "")
            return "No agent in \(allowedList) has \(gpus)"
        }
        let suitable = withGPUs.filter { $0.capacity.cpuMillis >= resources.cpuMillis && $0.capacity.memoryBytes >= resources.memoryBytes }
        guard !suitable.isEmpty else {
            return "No agent in \(allowedList) has \(Self.cores(resources.cpuMillis)) and \(Self.bytes(resources.memoryBytes)) of memory"
        }
        if resources.nodes > 1 {
            let byRegion = Dictionary(grouping: suitable, by: \.region).mapValues(\.count)
            let best = byRegion.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!
            if best.value < resources.nodes {
                return "Needs \(resources.nodes) nodes; only \(best.value) suitable agent\(best.value == 1 ? "" : "s") in \(best.key)"
            }
        }
        return "Waiting for free capacity on \(suitable.count) suitable agent\(suitable.count == 1 ? "" : "s")"
    }

    static func cores(_ millis: Int) -> String {
        millis % 1000 == 0 ? "\(millis / 1000) core\(millis == 1000 ? "" : "s")" : String(format: "%.1f cores", Double(millis) / 1000)
    }

    static func bytes(_ bytes: Int64) -> String {
        let gib = Double(bytes) / Double(1 << 30)
        return gib >= 1 ? String(format: "%.0f GiB", gib) : String(format: "%.0f MiB", Double(bytes) / Double(1 << 20))
    }
}

extension Dispatcher {
    /// See ``explainWaitingJobs()``.
    func explainWaiting() async throws -> Int {
        let window = Double(max(2 * context.configuration.heartbeatIntervalSeconds, context.configuration.lostAfterSeconds))  // not yet lost
        let agents = try await context.router.directory.withConnection { connection in
            try await connection.query(
                """
                SELECT id, region_id, dedicated_tenant_id, status = 'ready' AND last_seen_at > now() - make_interval(secs => \(window)) AS is_live,
                       labels, gpus, cpu_cores, memory_bytes
                FROM agents WHERE status <> 'revoked'
                """
            ).map { row in
                AgentSnapshot(
                    id: try row["id", as: UUID.self], region: try row["region_id", as: String.self],
                    dedicatedTenantID: try row["dedicated_tenant_id", as: UUID?.self], isLive: try row["is_live", as: Bool.self],
                    labels: JobRows.labels(try row["labels", as: PostgresJSON.self]),
                    gpuNames: ((try? row["gpus", as: PostgresJSON.self].decode([GPUDevice].self)) ?? []).map(\.name),
                    capacity: ResourceAmounts(cpuMillis: try row["cpu_cores", as: Int.self] * 1000, memoryBytes: try row["memory_bytes", as: Int64.self])
                )
            }
        }
        var changed = 0
        for region in context.router.regionIDs {
            changed += try await context.router.cell(for: region).withTransaction(settings: Self.dispatchScope) { connection in
                let jobs = try await connection.query(
                    """
                    SELECT tenant_id, id, allowed_regions, cpu_millis, memory_bytes, gpus, gpu_type, nodes, node_selector, placement_note
                    FROM jobs WHERE state = 'queued' AND updated_at < now() - interval '3 seconds'
                    ORDER BY updated_at LIMIT 300
                    """
                )
                var ids: [UUID] = []
                var notes: [String] = []
                for row in jobs {
                    let job = WaitingJob(
                        tenantID: try row["tenant_id", as: UUID.self], allowedRegions: try row["allowed_regions", as: [String].self],
                        resources: try JobRows.resources(row), nodeSelector: JobRows.labels(try row["node_selector", as: PostgresJSON.self])
                    )
                    ids.append(try row["id", as: UUID.self])
                    notes.append(Self.clip(WaitExplanation.note(for: job, agents: agents), 1000))
                }
                guard !ids.isEmpty else { return 0 }
                // No row locks while explaining (leases must not skip these jobs); the update re-checks that each is still
                // queued. Every examined job's updated_at moves on, so the next pass looks at others first; only changed
                // notes count.
                return try await connection.query(
                    """
                    WITH n AS (SELECT * FROM unnest(\(ids)::uuid[], \(notes)::text[]) AS n(id, note)),
                    old AS (SELECT j.id, j.placement_note FROM jobs j JOIN n ON j.id = n.id)
                    UPDATE jobs j SET placement_note = n.note, updated_at = now()
                    FROM n JOIN old ON old.id = n.id
                    WHERE j.id = n.id AND j.state = 'queued'
                    RETURNING old.placement_note IS DISTINCT FROM n.note AS is_changed
                    """
                ).filter { try $0["is_changed", as: Bool.self] }.count
            }
        }
        return changed
    }
}
