import AgentProtocol
import ComputeAgents
import Foundation
import Residency

/// A compute node (an enrolled agent) as the nodes API shows it.
struct NodeJSON: Encodable {
    var id: UUID
    var hostname: String
    var region: String
    var dedicatedTenantID: String?
    var status: String
    var labels: [String: String]
    var operatingSystem: String
    var cpuModel: String
    var cpuCores: Int
    var memoryBytes: Int64
    var gpus: [GPUJSON]
    var agentVersion: String
    var address: String
    var free: FreeJSON
    var utilization: UtilizationJSON
    var runningJobs: Int
    var registeredAt: Date
    var lastSeenAt: Date

    enum CodingKeys: String, CodingKey {
        case id, hostname, region, status, labels, gpus, address, free, utilization
        case dedicatedTenantID = "dedicated_tenant_id", operatingSystem = "operating_system", cpuModel = "cpu_model", cpuCores = "cpu_cores"
        case memoryBytes = "memory_bytes", agentVersion = "agent_version", runningJobs = "running_jobs", registeredAt = "registered_at"
        case lastSeenAt = "last_seen_at"
    }

    init(_ agent: AgentSummary) {
        id = agent.id
        hostname = agent.inventory.hostname
        region = agent.region
        dedicatedTenantID = agent.dedicatedTenantID?.description
        status = agent.displayStatus
        labels = agent.inventory.labels
        operatingSystem = agent.inventory.operatingSystem
        cpuModel = agent.inventory.cpuModel
        cpuCores = agent.inventory.cpuCores
        memoryBytes = agent.inventory.memoryBytes
        gpus = agent.inventory.gpus.map(GPUJSON.init)
        agentVersion = agent.inventory.agentVersion
        address = agent.address
        free = FreeJSON(cpuMillis: agent.free.cpuMillis, memoryBytes: agent.free.memoryBytes, gpus: agent.free.gpus)
        utilization = UtilizationJSON(
            cpuPercent: agent.utilization.cpuPercent, memoryUsedBytes: agent.utilization.memoryUsedBytes, gpuPercent: agent.utilization.gpuPercent
        )
        runningJobs = agent.runningJobs
        registeredAt = agent.registeredAt
        lastSeenAt = agent.lastSeenAt
    }

    /// One GPU.
    struct GPUJSON: Encodable {
        var index: Int
        var uuid: String
        var name: String
        var memoryBytes: Int64

        enum CodingKeys: String, CodingKey {
            case index, uuid, name
            case memoryBytes = "memory_bytes"
        }

        init(_ device: GPUDevice) {
            index = device.index
            uuid = device.uuid
            name = device.name
            memoryBytes = device.memoryBytes
        }
    }

    /// Free resources as last reported.
    struct FreeJSON: Encodable {
        var cpuMillis: Int
        var memoryBytes: Int64
        var gpus: Int

        enum CodingKeys: String, CodingKey {
            case gpus
            case cpuMillis = "cpu_millis", memoryBytes = "memory_bytes"
        }
    }

    /// Utilisation as last reported.
    struct UtilizationJSON: Encodable {
        var cpuPercent: Double
        var memoryUsedBytes: Int64
        var gpuPercent: Double?

        enum CodingKeys: String, CodingKey {
            case cpuPercent = "cpu_percent", memoryUsedBytes = "memory_used_bytes", gpuPercent = "gpu_percent"
        }
    }

    static let schema = Schema.object(
        [
            "id": Schema.uuid, "hostname": Schema.string(), "region": Schema.string(), "dedicated_tenant_id": ["type": ["string", "null"], "format": "uuid"],
            "status": ["type": "string", "enum": ["ready", "busy", "draining", "lost", "revoked"]],
            "labels": ["type": "object", "additionalProperties": ["type": "string"]], "operating_system": Schema.string(), "cpu_model": Schema.string(),
            "cpu_cores": Schema.integer, "memory_bytes": Schema.integer,
            "gpus": Schema.array(Schema.object(["index": Schema.integer, "uuid": Schema.string(), "name": Schema.string(), "memory_bytes": Schema.integer])),
            "agent_version": Schema.string(), "address": Schema.string(),
            "free": Schema.object(["cpu_millis": Schema.integer, "memory_bytes": Schema.integer, "gpus": Schema.integer]),
            "utilization": Schema.object(
                ["cpu_percent": ["type": "number"], "memory_used_bytes": Schema.integer, "gpu_percent": ["type": ["number", "null"]]],
                required: ["cpu_percent", "memory_used_bytes"]
            ),
            "running_jobs": Schema.integer, "registered_at": Schema.dateTime, "last_seen_at": Schema.dateTime,
        ],
        required: [
            "id", "hostname", "region", "status", "labels", "operating_system", "cpu_model", "cpu_cores", "memory_bytes", "gpus", "agent_version",
            "address", "free", "utilization", "running_jobs", "registered_at", "last_seen_at",
        ]
    )
}
