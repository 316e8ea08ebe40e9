/// What a node is: sent at registration and kept by the control plane for the nodes page and placement.
public struct AgentInventory: Codable, Sendable, Equatable {
    /// The host's name.
    public var hostname: String
    /// Operating system and kernel, e.g. "Linux 6.1.0-18-amd64 (Debian GNU/Linux 12)".
    public var operatingSystem: String
    /// CPU model name from `/proc/cpuinfo`.
    public var cpuModel: String
    /// Logical CPU cores the agent may use.
    public var cpuCores: Int
    /// Memory the agent may use, in bytes.
    public var memoryBytes: Int64
    /// Free disk space of the agent's work directory at registration, in bytes.
    public var diskBytes: Int64
    /// GPUs from `nvidia-smi`; empty when there are none.
    public var gpus: [GPUDevice]
    /// The agent's version string.
    public var agentVersion: String
    /// Labels the operator gave the node (merged with the join token's labels by the server).
    public var labels: [String: String]
    /// The address other gang members reach this node at (`MASTER_ADDR`); nil lets the server use the address it sees.
    public var advertiseAddress: String?

    /// Creates an inventory.
    public init(
        hostname: String, operatingSystem: String, cpuModel: String, cpuCores: Int, memoryBytes: Int64, diskBytes: Int64,
        gpus: [GPUDevice], agentVersion: String, labels: [String: String] = [:], advertiseAddress: String? = nil
    ) {
        self.hostname = hostname
        self.operatingSystem = operatingSystem
        self.cpuModel = cpuModel
        self.cpuCores = cpuCores
        self.memoryBytes = memoryBytes
        self.diskBytes = diskBytes
        self.gpus = gpus
        self.agentVersion = agentVersion
        self.labels = labels
        self.advertiseAddress = advertiseAddress
    }
}

/// One GPU as `nvidia-smi --query-gpu=index,uuid,name,memory.total,driver_version --format=csv,noheader` reports it.
public struct GPUDevice: Codable, Sendable, Equatable {
    /// The index `CUDA_VISIBLE_DEVICES` uses.
    public var index: Int
    /// The stable GPU UUID.
    public var uuid: String
    /// The model name, e.g. "NVIDIA H200".
    public var name: String
    /// Total memory in bytes.
    public var memoryBytes: Int64
    /// The driver version.
    public var driverVersion: String

    /// Creates a GPU description.
    public init(index: Int, uuid: String, name: String, memoryBytes: Int64, driverVersion: String) {
        self.index = index
        self.uuid = uuid
        self.name = name
        self.memoryBytes = memoryBytes
        self.driverVersion = driverVersion
    }
}

/// An amount of node resources: what a job asks for, or what an agent has free.
public struct ResourceAmounts: Codable, Sendable, Equatable {
    /// CPU in thousandths of a core (1000 = one core).
    public var cpuMillis: Int
    /// Memory in bytes.
    public var memoryBytes: Int64
    /// Whole GPUs.
    public var gpus: Int

    /// Creates an amount.
    public init(cpuMillis: Int, memoryBytes: Int64, gpus: Int = 0) {
        self.cpuMillis = cpuMillis
        self.memoryBytes = memoryBytes
        self.gpus = gpus
    }

    /// Whether `request` fits into these free resources.
    public func fits(_ request: ResourceAmounts) -> Bool {
        request.cpuMillis <= cpuMillis && request.memoryBytes <= memoryBytes && request.gpus <= gpus
    }

    /// These resources less `used`.
    public func subtracting(_ used: ResourceAmounts) -> ResourceAmounts {
        ResourceAmounts(cpuMillis: cpuMillis - used.cpuMillis, memoryBytes: memoryBytes - used.memoryBytes, gpus: gpus - used.gpus)
    }
}
