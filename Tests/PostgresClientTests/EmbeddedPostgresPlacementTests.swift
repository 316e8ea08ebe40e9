import Foundation
import Glibc
import PostgresClient
import Testing

@Suite struct EmbeddedPostgresPlacementTests {
    /// `make run` from a checkout under /root (mode 0700) must still work: the postgres user cannot enter it,
    /// so the cluster moves to /var/lib/falaj/embedded/<id> and everything else stays in the data directory.
    @Test(.enabled(if: geteuid() == 0, "only root runs the cluster as another user"))
    func clusterMovesOutOfADataDirectoryThePostgresUserCannotReach() async throws {
        let locked = URL(fileURLWithPath: "/tmp/fj-locked-\(UUID().uuidString.prefix(6).lowercased())", isDirectory: true)
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: locked) }
        var configuration = EmbeddedPostgres.Configuration(dataDirectory: locked.appendingPathComponent("data"))
        configuration.databases = ["falaj_directory"]
        configuration.isDurable = false
        let server = EmbeddedPostgres(configuration: configuration)
        let serverRoot = server.configuration.serverRoot
        defer { try? FileManager.default.removeItem(at: serverRoot) }
        #expect(serverRoot.path.hasPrefix("/var/lib/falaj/embedded/"))
        #expect(EmbeddedPostgres(configuration: configuration).configuration.serverRoot == serverRoot, "stable per data directory")

        let cluster = try await server.start()
        let app = try #require(cluster["falaj_directory"]).app
        let connection = try await PostgresConnection.connect(configuration: app)
        let answer = try await connection.query("SELECT 6 * 7 AS answer")[0]["answer", as: Int.self]
        connection.close()
        #expect(answer == 42)
        #expect(FileManager.default.fileExists(atPath: serverRoot.appendingPathComponent("postgres/PG_VERSION").path))
        try await server.stop()
    }

    @Test func reachableDataDirectoryKeepsTheClusterInside() {
        let configuration = EmbeddedPostgres.Configuration(dataDirectory: URL(fileURLWithPath: "/tmp/fj-open/data"))
        #expect(EmbeddedPostgres(configuration: configuration).configuration.serverRoot.path == "/tmp/fj-open/data")
    }
}
