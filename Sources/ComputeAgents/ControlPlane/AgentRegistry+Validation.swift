import AgentProtocol

extension AgentRegistry {
    /// The most GPUs one node may report.
    static let maximumGPUs = 64
    /// The most running attempts one heartbeat may report.
    static let maximumRunningReports = 1_000

    /// Checks an inventory against the registry's limits (the same the `agents` table enforces, with messages).
    /// - Throws: ``ComputeAgentsError/invalidFields(_:)`` naming every field that is wrong.
    static func validate(_ inventory: AgentInventory, address: String) throws(ComputeAgentsError) {
        var errors: [String: String] = [:]
        if !(1...255).contains(inventory.hostname.unicodeScalars.count) { errors["hostname"] = "The hostname must be 1 to 255 characters" }
        if inventory.operatingSystem.unicodeScalars.count > 200 { errors["operating_system"] = "The operating system must be at most 200 characters" }
        if inventory.cpuModel.unicodeScalars.count > 200 { errors["cpu_model"] = "The CPU model must be at most 200 characters" }
        if !(1...4096).contains(inventory.cpuCores) { errors["cpu_cores"] = "CPU cores must be between 1 and 4096" }
        if inventory.memoryBytes < 0 { errors["memory_bytes"] = "Memory cannot be negative" }
        if inventory.diskBytes < 0 { errors["disk_bytes"] = "Disk space cannot be negative" }
        if inventory.agentVersion.unicodeScalars.count > 60 { errors["agent_version"] = "The agent version must be at most 60 characters" }
        if let problem = AgentValidation.labelProblem(inventory.labels) { errors["labels"] = problem }
        if !(1...255).contains(address.unicodeScalars.count) { errors["advertise_address"] = "The address must be 1 to 255 characters" }
        if inventory.gpus.count > maximumGPUs {
            errors["gpus"] = "A node may report at most \(maximumGPUs) GPUs"
        } else if let problem = gpuProblem(inventory.gpus) {
            errors["gpus"] = problem
        }
        guard errors.isEmpty else { throw .invalidFields(errors) }
    }

    /// A message for the first GPU description that is out of bounds, or nil.
    static func gpuProblem(_ gpus: [GPUDevice]) -> String? {
        if Set(gpus.map(\.index)).count != gpus.count { return "GPU indices must be distinct" }
        for gpu in gpus {
            guard (0..<4096).contains(gpu.index) else { return "GPU index \(gpu.index) is out of range" }
            guard gpu.memoryBytes >= 0 else { return "GPU \(gpu.index) reports negative memory" }
            guard gpu.uuid.unicodeScalars.count <= 100, gpu.name.unicodeScalars.count <= 200, gpu.driverVersion.unicodeScalars.count <= 60 else {
                return "GPU \(gpu.index) has a description that is too long"
            }
        }
        return nil
    }

    /// Checks a heartbeat's numbers before they are stored.
    /// - Throws: ``ComputeAgentsError/invalidFields(_:)``.
    static func validate(_ report: HeartbeatRequest) throws(ComputeAgentsError) {
        var errors: [String: String] = [:]
        let free = report.free
        if !(0...Int(Int32.max)).contains(free.cpuMillis) || free.memoryBytes < 0 || !(0...maximumGPUs).contains(free.gpus) {
            errors["free"] = "Free resources must be non-negative (at most \(maximumGPUs) GPUs)"
        }
        let utilization = report.utilization
        if !utilization.cpuPercent.isFinite || utilization.memoryUsedBytes < 0 || !(utilization.gpuPercent?.isFinite ?? true) {
            errors["utilization"] = "Utilisation must be finite and non-negative"
        }
        if report.running.count > maximumRunningReports { errors["running"] = "Report at most \(maximumRunningReports) running attempts" }
        guard errors.isEmpty else { throw .invalidFields(errors) }
    }
}
