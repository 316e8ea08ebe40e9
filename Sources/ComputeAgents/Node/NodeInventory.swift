public import AgentProtocol
import BlockingPool
import Foundation
import Glibc

/// What this host is, read from `/proc`, `/etc/os-release`, `uname`, `statvfs` and `nvidia-smi`.
public enum NodeInventory {
    /// Values that replace what the host reports, so tests (and operators) can pretend a smaller or larger node.
    public struct Overrides: Sendable {
        /// Usable cores instead of the affinity mask's count.
        public var cpuCores: Int?
        /// Usable memory in bytes instead of `MemTotal`.
        public var memoryBytes: Int64?
        /// GPUs instead of `nvidia-smi`'s answer (empty to hide real ones).
        public var gpus: [GPUDevice]?

        /// Creates overrides; every value defaults to nil (use the host's).
        public init(cpuCores: Int? = nil, memoryBytes: Int64? = nil, gpus: [GPUDevice]? = nil) {
            self.cpuCores = cpuCores
            self.memoryBytes = memoryBytes
            self.gpus = gpus
        }
    }

    /// Collects the inventory. File reads run on ``BlockingPool/shared``; `nvidia-smi` runs as a child process.
    /// - Parameters:
    ///   - workDirectory: the directory whose free disk space is reported.
    ///   - labels: the operator's labels.
    ///   - advertiseAddress: the address gang members reach this node at.
    ///   - overrides: values replacing the host's.
    public static func collect(workDirectory: String, labels: [String: String] = [:], advertiseAddress: String? = nil, overrides: Overrides = Overrides()) async -> AgentInventory {
        let host = await BlockingPool.shared.run { HostFacts.read(workDirectory: workDirectory) }
        let gpus: [GPUDevice]
        if let override = overrides.gpus { gpus = override } else { gpus = await NvidiaSMI.discover() }
        return AgentInventory(
            hostname: host.hostname, operatingSystem: host.operatingSystem, cpuModel: host.cpuModel,
            cpuCores: overrides.cpuCores ?? host.cpuCores, memoryBytes: overrides.memoryBytes ?? host.memoryBytes, diskBytes: host.diskBytes,
            gpus: gpus, agentVersion: AgentNode.version, labels: labels, advertiseAddress: advertiseAddress)
    }
}

/// Host facts read synchronously (blocking file reads).
struct HostFacts: Sendable {
    var hostname: String
    var operatingSystem: String
    var cpuModel: String
    var cpuCores: Int
    var memoryBytes: Int64
    var diskBytes: Int64

    static func read(workDirectory: String) -> HostFacts {
        var name = [CChar](repeating: 0, count: 256)
        let hostname = gethostname(&name, name.count) == 0 ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown"
        var system = utsname()
        uname(&system)
        let release = withUnsafeBytes(of: system.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let pretty = osReleasePrettyName((try? String(contentsOfFile: "/etc/os-release", encoding: .utf8)) ?? "")
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        var disk = statvfs()
        let diskBytes = statvfs(workDirectory, &disk) == 0 ? Int64(disk.f_bavail) * Int64(disk.f_frsize) : 0
        return HostFacts(
            hostname: hostname,
            operatingSystem: "Linux \(release)" + (pretty.map { " (\($0))" } ?? ""),
            cpuModel: cpuModel(cpuinfo) ?? "unknown",
            cpuCores: allowedCPUCount((try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? "") ?? ProcessInfo.processInfo.activeProcessorCount,
            memoryBytes: meminfoValue(meminfo, key: "MemTotal") ?? 0,
            diskBytes: diskBytes)
    }

    /// `PRETTY_NAME` from `/etc/os-release` text, unquoted.
    static func osReleasePrettyName(_ text: String) -> String? {
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("PRETTY_NAME=") {
            return line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }
        return nil
    }

    /// The first `model name` of `/proc/cpuinfo` text.
    static func cpuModel(_ text: String) -> String? {
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// The CPUs this process may run on (its affinity mask, so `taskset` and cpusets count), from the
    /// `Cpus_allowed_list` line of `/proc/self/status`, e.g. `0-3,8` → 5.
    static func allowedCPUCount(_ status: String) -> Int? {
        guard let line = status.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        var count = 0
        for range in line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces).split(separator: ",") {
            let bounds = range.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 1 { count += 1 } else if bounds.count == 2, bounds[1] >= bounds[0] { count += bounds[1] - bounds[0] + 1 }
        }
        return count > 0 ? count : nil
    }

    /// A `/proc/meminfo` value (given in kB) in bytes.
    static func meminfoValue(_ text: String, key: String) -> Int64? {
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix(key + ":") {
            let number = line.dropFirst(key.count + 1).split(separator: " ").first.flatMap { Int64($0) }
            return number.map { $0 * 1024 }
        }
        return nil
    }
}
