import Foundation
import Glibc

/// The `postgres` system account the cluster runs as when Falaj runs as root (Postgres refuses to run as root).
struct ServerAccount: Sendable {
    let name: String
    let uid: uid_t
    let gid: gid_t

    /// The `postgres` account when the process is root; nil otherwise (the cluster then runs as the current user).
    static func forCurrentProcess() throws -> ServerAccount? {
        guard geteuid() == 0 else { return nil }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwnam_r("postgres", &entry, &buffer, buffer.count, &result) == 0, result != nil else {
            throw PostgresError(
                .embeddedServer,
                "falaj runs as root, so the embedded Postgres must run as the 'postgres' system user, which does not exist; "
                    + "install the postgresql package or run falaj as an ordinary user"
            )
        }
        return ServerAccount(name: "postgres", uid: entry.pw_uid, gid: entry.pw_gid)
    }

    /// Whether this account may enter (search) `path`, judged from its mode bits.
    func canTraverse(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        let mode = info.st_mode
        if info.st_uid == uid { return mode & S_IXUSR != 0 }
        if info.st_gid == gid { return mode & S_IXGRP != 0 }
        return mode & S_IXOTH != 0
    }
}

/// The file-system side of ``EmbeddedPostgres``: binaries, directories, ownership, the lock file. All calls are
/// synchronous and brief; the launcher runs them on a blocking thread.
enum EmbeddedSetup {
    /// Postgres' limit on a Unix socket path (`sun_path` is 108 bytes including the terminating NUL).
    static let maxSocketPathLength = 107

    /// The folder with `initdb` and `postgres`: the configured one, else the newest `/usr/lib/postgresql/*/bin`, else `PATH`.
    static func binDirectory(configured: URL?) throws -> URL {
        func hasServer(_ folder: URL) -> Bool {
            ["initdb", "postgres"].allSatisfy { FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent($0).path) }
        }
        if let configured {
            guard hasServer(configured) else {
                throw PostgresError(.embeddedServer, "no initdb and postgres programs in \(configured.path)")
            }
            return configured
        }
        let root = URL(fileURLWithPath: "/usr/lib/postgresql", isDirectory: true)
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let folder = root.appendingPathComponent(version).appendingPathComponent("bin")
            if hasServer(folder) { return folder }
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for entry in path.split(separator: ":") where hasServer(URL(fileURLWithPath: String(entry))) {
            return URL(fileURLWithPath: String(entry), isDirectory: true)
        }
        throw PostgresError(
            .embeddedServer,
            "no Postgres server programs found (looked in /usr/lib/postgresql/*/bin and PATH); install the postgresql package"
        )
    }

    /// Creates `<data>`, `<data>/postgres` and `<data>/run` (both 0700, owned by `account` when given), and checks that
    /// `account` can reach them and that the socket path fits.
    static func prepareDirectories(_ configuration: EmbeddedPostgres.Configuration, account: ServerAccount?) throws {
        let fileManager = FileManager.default
        let socketPath = configuration.socketDirectory.appendingPathComponent(".s.PGSQL.\(configuration.port)").path
        guard socketPath.utf8.count <= maxSocketPathLength else {
            throw PostgresError(
                .embeddedServer,
                "the data directory path is too long for a Unix socket (\(socketPath.utf8.count) bytes, limit \(maxSocketPathLength)); "
                    + "choose a shorter data directory"
            )
        }
        do {
            try fileManager.createDirectory(
                at: configuration.dataDirectory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
            if configuration.serverRoot != configuration.dataDirectory {
                try fileManager.createDirectory(
                    at: configuration.serverRoot,
                    withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o755]
                )
            }
            if let account {
                let dataPath = configuration.serverRoot.path
                if !account.canTraverse(dataPath) {
                    // Let others enter, not list: the cluster and socket folders inside stay 0700.
                    var info = stat()
                    if stat(dataPath, &info) == 0 { chmod(dataPath, (info.st_mode & 0o7777) | S_IXOTH) }
                }
                try checkReachable(configuration.serverRoot, by: account)
            }
            for folder in [configuration.clusterDirectory, configuration.socketDirectory] {
                try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
                if let account, chown(folder.path, account.uid, account.gid) != 0 {
                    throw PostgresError(.embeddedServer, "could not give \(folder.path) to the postgres user (errno \(errno))")
                }
                chmod(folder.path, 0o700)
            }
            if !fileManager.fileExists(atPath: configuration.logFile.path) {
                _ = fileManager.createFile(atPath: configuration.logFile.path, contents: nil, attributes: [.posixPermissions: 0o600])
            }
        } catch let error as PostgresError {
            throw error
        } catch {
            throw PostgresError(
                .embeddedServer,
                "could not create the embedded Postgres directories under \(configuration.dataDirectory.path)",
                detail: "\(error)"
            )
        }
    }

    /// Whether `account` can enter every existing parent of `folder` (the folder itself is made enterable later).
    static func canReachParents(of folder: URL, by account: ServerAccount) -> Bool {
        var path = (folder.standardizedFileURL.path as NSString).deletingLastPathComponent
        while !path.isEmpty {
            if FileManager.default.fileExists(atPath: path) && !account.canTraverse(path) { return false }
            if path == "/" { break }
            path = (path as NSString).deletingLastPathComponent
        }
        return true
    }

    /// `/var/lib/falaj/embedded/<16 hex digits of FNV-1a over the data directory's path>`: stable per data directory.
    static func fallbackServerDirectory(for dataDirectory: URL) -> URL {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in dataDirectory.standardizedFileURL.path.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let id = String(hash, radix: 16)
        return URL(fileURLWithPath: "/var/lib/falaj/embedded", isDirectory: true)
            .appendingPathComponent(String(repeating: "0", count: 16 - id.count) + id, isDirectory: true)
    }

    /// Fails, naming the directory, when `account` cannot enter `folder` or one of its parents.
    static func checkReachable(_ folder: URL, by account: ServerAccount) throws {
        var path = folder.standardizedFileURL.path
        var chain: [String] = []
        while true {
            chain.append(path)
            if path == "/" { break }
            path = (path as NSString).deletingLastPathComponent
            if path.isEmpty { path = "/" }
        }
        for directory in chain.reversed() where !account.canTraverse(directory) {
            throw PostgresError(
                .embeddedServer,
                "falaj runs as root, so the embedded Postgres runs as the 'postgres' user, which cannot enter \(directory); "
                    + "choose a data directory it can reach (for example under /var/lib/falaj or /tmp) or run: chmod o+x \(directory)"
            )
        }
    }

    /// True when the cluster folder holds an initialised cluster. A folder with anything else (an interrupted initdb)
    /// is emptied so initdb can start over.
    static func isInitialised(_ configuration: EmbeddedPostgres.Configuration) throws -> Bool {
        let cluster = configuration.clusterDirectory
        if FileManager.default.fileExists(atPath: cluster.appendingPathComponent("PG_VERSION").path) { return true }
        for entry in try FileManager.default.contentsOfDirectory(at: cluster, includingPropertiesForKeys: nil) {
            try FileManager.default.removeItem(at: entry)
        }
        return false
    }

    /// The postmaster's pid from `postmaster.pid`, if the file exists.
    static func postmasterPID(_ configuration: EmbeddedPostgres.Configuration) -> Int32? {
        let file = configuration.clusterDirectory.appendingPathComponent("postmaster.pid")
        guard let text = try? String(contentsOf: file, encoding: .utf8), let line = text.split(separator: "\n").first else { return nil }
        return Int32(line.trimmingCharacters(in: .whitespaces))
    }

    /// True when `pid` is a live postgres serving `cluster` (judged by its command line).
    static func isServer(pid: Int32, for cluster: URL) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM,
            let commandLine = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
        else { return false }
        return commandLine.contains(cluster.path)
    }

    /// The program and arguments that run `executable arguments…` as `account` (`setpriv`, which execs in place so
    /// the pid stays the server's; `runuser` where setpriv is missing), or as is without an account.
    static func command(_ executable: URL, _ arguments: [String], as account: ServerAccount?) -> (URL, [String]) {
        guard let account else { return (executable, arguments) }
        let setpriv = "/usr/bin/setpriv"
        if FileManager.default.isExecutableFile(atPath: setpriv) {
            return (
                URL(fileURLWithPath: setpriv),
                ["--reuid=\(account.uid)", "--regid=\(account.gid)", "--init-groups", "--", executable.path] + arguments
            )
        }
        return (URL(fileURLWithPath: "/usr/sbin/runuser"), ["-u", account.name, "--", executable.path] + arguments)
    }

    /// A small, predictable environment for initdb and postgres.
    static let environment = ["PATH": "/usr/bin:/bin", "LC_ALL": "C", "LANG": "C", "TZ": "UTC"]

    /// The last `lines` lines of the log, for error details.
    static func logTail(_ configuration: EmbeddedPostgres.Configuration, lines: Int = 15) -> String {
        guard let text = try? String(contentsOf: configuration.logFile, encoding: .utf8) else { return "(no log)" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}
