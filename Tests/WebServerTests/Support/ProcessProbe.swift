import Foundation

/// Reads this process's resource use from /proc. The server under test runs in-process, so its
/// sockets, memory and threads show up here.
enum ProcessProbe {
    /// Entries in /proc/self/fd.
    static func openDescriptorCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    /// What each open descriptor refers to, by descriptor number (for failure messages).
    static func openDescriptors() -> [String: String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return [:] }
        var targets: [String: String] = [:]
        for entry in entries {
            targets[entry] = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)")) ?? "?"
        }
        return targets
    }

    /// Open descriptors of this process that are TCP sockets with local port `port`, excluding the
    /// listening sockets: the server's accepted connections.
    static func acceptedSocketCount(localPort port: Int) -> Int {
        let inodes = tcpSocketInodes(localPort: port, excludingListeners: true)
        guard !inodes.isEmpty else { return 0 }
        return socketInodesOfOpenDescriptors().filter { inodes.contains($0) }.count
    }

    /// A value from /proc/self/status in kB, e.g. `VmRSS` or `VmHWM`.
    static func statusKilobytes(_ key: String) -> Int {
        guard let text = readFile("/proc/self/status") else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            return Int(line.dropFirst(key.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "") ?? -1
        }
        return -1
    }

    /// The names (`comm`) of this process's threads.
    static func threadNames() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { readFile("/proc/self/task/\($0)/comm")?.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// The kernel thread id of the calling thread.
    static func currentThreadID() -> Int {
        // /proc/thread-self links to "<pid>/task/<tid>".
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? ""
        return Int(target.split(separator: "/").last ?? "") ?? -1
    }

    /// User + system CPU time of thread `threadID` of this process, in clock ticks (usually 10 ms); -1 if unknown.
    static func cpuTicks(ofThread threadID: Int) -> Int {
        guard let stat = readFile("/proc/self/task/\(threadID)/stat"),
            let close = stat.lastIndex(of: ")")
        else { return -1 }
        // After "(comm)": state is field 3, so utime and stime (fields 14 and 15) are at offsets 11 and 12.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return -1 }
        return user + system
    }

    /// The whole of a /proc file. (Foundation's `String(contentsOfFile:)` trusts the reported size, which
    /// procfs gives as 0, and stops after the first page.)
    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func socketInodesOfOpenDescriptors() -> [String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return [] }
        return entries.compactMap { entry in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)"),
                target.hasPrefix("socket:[")
            else { return nil }
            return String(target.dropFirst("socket:[".count).dropLast())
        }
    }

    private static func tcpSocketInodes(localPort port: Int, excludingListeners: Bool) -> Set<String> {
        var inodes = Set<String>()
        let portHex = String(format: "%04X", port)
        for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = readFile(file) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                guard fields.count > 9, fields[1].hasSuffix(":" + portHex) else { continue }
                if excludingListeners && fields[3] == "0A" { continue }
                if fields[9] != "0" { inodes.insert(String(fields[9])) }
            }
        }
        return inodes
    }
}
