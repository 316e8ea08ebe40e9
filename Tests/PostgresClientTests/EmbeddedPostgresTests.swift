import Foundation
import Glibc
import PostgresClient
import Testing

@Suite struct EmbeddedPostgresTests {
    @Test func startsCreatesRolesAndDatabasesAndRestartsWithItsData() async throws {
        try await withEmbedded { server in
            let cluster = try await server.start()
            #expect(Set(cluster.databases.keys) == ["falaj_directory", "falaj_cell_me_central_1", "falaj_cell_eu_west_1"])
            let directory = try #require(cluster["falaj_directory"])
            try await withConnection(directory.owner) { owner in
                try await owner.execute("CREATE TABLE kept (x int)")
                try await owner.execute("INSERT INTO kept VALUES (7)")
            }
            let (listen, isSuperuser, canBypass) = try await withConnection(directory.app) { app in
                try await app.query(
                    "SELECT current_setting('listen_addresses') AS l, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
                )[0].decode(String.self, Bool.self, Bool.self)
            }
            #expect(listen == "")
            #expect(!isSuperuser && !canBypass)
            var info = stat()
            #expect(stat(server.configuration.socketDirectory.path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o700)
            #expect(server.isRunning)

            try await server.stop()
            #expect(!server.isRunning)
            #expect(!FileManager.default.fileExists(atPath: server.configuration.clusterDirectory.appendingPathComponent("postmaster.pid").path))

            let again = try await server.start()
            let seven = try await withConnection(try #require(again["falaj_directory"]).app) { app in
                try await app.query("SELECT x FROM kept")[0]["x", as: Int.self]
            }
            #expect(seven == 7)
        }
    }

    @Test func poolAndListenerRecoverFromAServerRestart() async throws {
        try await withEmbedded(databases: ["falaj_cell_me_central_1"]) { server in
            let access = try #require(try await server.start()["falaj_cell_me_central_1"])
            let listener = try await PostgresListener(configuration: access.app, channels: ["restart"], reconnectDelay: .milliseconds(100))
            defer { listener.stop() }
            try await withPool(access.app, maxConnections: 2) { pool in
                #expect(await pool.ping())
                try await server.stop()
                #expect(await pool.ping() == false)
                _ = try await server.start()
                let answer = try await pool.withConnection { try await $0.query("SELECT 41 + 1 AS answer")[0]["answer", as: Int.self] }
                #expect(answer == 42)
                try await waitUntil { listener.reconnectCount >= 1 }
                try await pool.notify(channel: "restart", payload: "back")
            }
            // First the marker that notifications may have been lost while the server was down, then the new one.
            #expect(await collect(2, from: listener).map(\.payload) == ["", "back"])
        }
    }

    @Test func twoClustersRunSideBySideAndAKilledServerIsRecovered() async throws {
        try await withEmbedded(databases: []) { first in
            try await withEmbedded(databases: []) { second in
                async let a = first.start()
                async let b = second.start()
                let (one, two) = try await (a, b)
                #expect(one.socketDirectory != two.socketDirectory)
                let pids = try await [one.admin, two.admin].asyncMap { configuration in
                    try await withConnection(configuration) {
                        try await $0.query("SELECT pg_postmaster_start_time() AS t, pg_backend_pid() AS p")[0]["p", as: Int32.self]
                    }
                }
                #expect(pids.count == 2)

                // A server whose launcher died (it keeps running, orphaned) is stopped and replaced by the next launcher.
                let successor = EmbeddedPostgres(configuration: second.configuration)
                let replaced = try await successor.start()
                #expect(try await withConnection(replaced.admin) { try await $0.query("SELECT 1 AS one").count } == 1)
                #expect(!second.isRunning)
                try await successor.stop()
            }
        }
    }

    @Test(.enabled(if: geteuid() == 0, "only root hands the cluster to the postgres user"))
    func unreachableServerDirectoryIsNamedInTheError() async throws {
        let locked = URL(fileURLWithPath: "/tmp/fj-locked-\(UUID().uuidString.prefix(6).lowercased())", isDirectory: true)
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: locked) }
        // An explicit server directory is used as given (no fallback), so an unreachable one is an error naming it.
        var configuration = EmbeddedPostgres.Configuration(dataDirectory: URL(fileURLWithPath: "/tmp/fj-data-\(UUID().uuidString.prefix(6))"))
        configuration.serverDirectory = locked.appendingPathComponent("server")
        defer { try? FileManager.default.removeItem(at: configuration.dataDirectory) }
        let server = EmbeddedPostgres(configuration: configuration)
        let error = try await #require(throws: PostgresError.self) { try await server.start() }
        #expect(error.code == .embeddedServer)
        #expect(error.description.contains("cannot enter \(locked.path)"))
        #expect(error.description.contains("chmod o+x \(locked.path)"))
    }

    @Test func overlongSocketPathIsRefused() async throws {
        let deep = URL(fileURLWithPath: "/tmp/" + String(repeating: "d", count: 100), isDirectory: true)
        let server = EmbeddedPostgres(configuration: .init(dataDirectory: deep))
        let error = try await #require(throws: PostgresError.self) { try await server.start() }
        #expect(error.description.contains("too long for a Unix socket"))
        #expect(!FileManager.default.fileExists(atPath: deep.path))
    }
}

/// An embedded cluster in a fresh short temporary directory; stopped and removed after `body`.
func withEmbedded(databases: [String]? = nil, _ body: (EmbeddedPostgres) async throws -> Void) async throws {
    let directory = URL(fileURLWithPath: "/tmp/fj-\(UUID().uuidString.prefix(8).lowercased())", isDirectory: true)
    var configuration = EmbeddedPostgres.Configuration(dataDirectory: directory)
    if let databases { configuration.databases = databases }
    configuration.isDurable = false
    let server = EmbeddedPostgres(configuration: configuration)
    do {
        try await body(server)
    } catch {
        try? await server.stop()
        try? FileManager.default.removeItem(at: directory)
        throw error
    }
    try await server.stop()
    try? FileManager.default.removeItem(at: directory)
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async throws -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
