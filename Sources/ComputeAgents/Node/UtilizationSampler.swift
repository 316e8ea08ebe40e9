public import AgentProtocol
import BlockingPool
import Foundation
import Synchronization

/// Samples host utilisation: CPU from `/proc/stat` deltas between calls, memory in use from `/proc/meminfo`
/// (`MemTotal - MemAvailable`), GPU percent from `nvidia-smi` when the node has GPUs.
public final class UtilizationSampler: Sendable {
    private let previous = Mutex<(busy: UInt64, total: UInt64)?>(nil)
    private let hasGPUs: Bool

    /// Creates a sampler.
    /// - Parameter hasGPUs: whether to ask `nvidia-smi` for GPU utilisation.
    public init(hasGPUs: Bool) { self.hasGPUs = hasGPUs }

    /// The utilisation since the previous call (since boot on the first). File reads run on ``BlockingPool/shared``.
    public func sample() async -> NodeUtilization {
        let (stat, meminfo) = await BlockingPool.shared.run {
            ((try? String(contentsOfFile: "/proc/stat", encoding: .utf8)) ?? "", (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? "")
        }
        let cpu = Self.cpuCounters(stat).map { counters in
            previous.withLock { last -> Double in
                defer { last = counters }
                let busy = counters.busy &- (last?.busy ?? 0)
                let total = counters.total &- (last?.total ?? 0)
                return total == 0 ? 0 : min(100, Double(busy) * 100 / Double(total))
            }
        } ?? 0
        let total = HostFacts.meminfoValue(meminfo, key: "MemTotal") ?? 0
        let available = HostFacts.meminfoValue(meminfo, key: "MemAvailable") ?? total
        let gpu = hasGPUs ? await NvidiaSMI.utilization() : nil
        return NodeUtilization(cpuPercent: (cpu * 10).rounded() / 10, memoryUsedBytes: max(0, total - available), gpuPercent: gpu)
    }

    /// Busy and total jiffies from the aggregate `cpu` line of `/proc/stat` (idle and iowait count as not busy).
    static func cpuCounters(_ text: String) -> (busy: UInt64, total: UInt64)? {
        guard let line = text.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard values.count >= 4 else { return nil }
        let total = values.prefix(8).reduce(0, +)
        let idle = values[3] + (values.count > 4 ? values[4] : 0)
        return (total - idle, total)
    }
}
