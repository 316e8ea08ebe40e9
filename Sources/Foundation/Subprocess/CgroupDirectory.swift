import Foundation
import Glibc

/// A job's cgroup v2 directory: created before the spawn, killed with `cgroup.kill`, removed when the job is over.
///
/// Every method does blocking file I/O; callers run them off the cooperative pool.
final class CgroupDirectory: Sendable {
    /// The directory, e.g. `/sys/fs/cgroup/falaj/falaj-job-<id>`.
    let path: String
    /// An open `cgroup.procs` (close-on-exec) the child writes "0" into; closed by ``closeProcsFile()``.
    let procsDescriptor: Int32

    private init(path: String, procsDescriptor: Int32) {
        self.path = path
        self.procsDescriptor = procsDescriptor
    }

    /// Creates the cgroup for `request`, or returns nil when cgroup v2 is absent or the parent is not writable.
    static func make(_ request: CgroupRequest) -> CgroupDirectory? {
        guard access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 else { return nil }
        guard request.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), !request.name.isEmpty else { return nil }
        if mkdir(request.parent, 0o755) != 0 && errno != EEXIST { return nil }
        // Let the parent hand memory and cpu controllers to its children (fails harmlessly when already on).
        _ = write(text: "+memory +cpu", to: request.parent + "/cgroup.subtree_control")
        let path = request.parent + "/falaj-job-" + request.name
        if mkdir(path, 0o755) != 0 && errno != EEXIST { return nil }
        let memory = request.memoryMaxBytes.map(String.init) ?? "max"
        let cpu = request.cpuMillis.map { "\(max(1000, $0 * 100)) 100000" } ?? "max 100000"
        guard write(text: memory, to: path + "/memory.max"), write(text: cpu, to: path + "/cpu.max") else {
            rmdir(path)
            return nil
        }
        let descriptor = open(path + "/cgroup.procs", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            rmdir(path)
            return nil
        }
        return CgroupDirectory(path: path, procsDescriptor: descriptor)
    }

    /// Closes the parent's copy of `cgroup.procs` once the child has started.
    func closeProcsFile() { close(procsDescriptor) }

    /// Kills every process in the cgroup (`cgroup.kill`, Linux 5.14+); false when the file is missing.
    @discardableResult
    func killAll() -> Bool { Self.write(text: "1", to: path + "/cgroup.kill") }

    /// Whether any process is left (`cgroup.events` says `populated 1`).
    var isPopulated: Bool {
        guard let events = try? String(contentsOfFile: path + "/cgroup.events", encoding: .utf8) else { return false }
        return events.contains("populated 1")
    }

    /// Removes the directory, retrying briefly while the kernel still counts exiting processes; false if it stays.
    @discardableResult
    func remove() -> Bool {
        for _ in 0..<50 {
            if rmdir(path) == 0 || errno == ENOENT { return true }
            usleep(20_000)
        }
        return false
    }

    private static func write(text: String, to file: String) -> Bool {
        let descriptor = open(file, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) } == bytes.count
    }
}
