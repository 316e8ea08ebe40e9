import Foundation
import Testing

/// The `falaj` command line as operators and scripts use it.
@Suite(.serialized) struct CommandLineTests {
    @Test func migrateAppliesOnceThenReportsUpToDate() async throws {
        let dataDirectory = "/tmp/falaj-migrate-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let first = try await runCommand(FalajProcess.binary, ["migrate", "--data-dir", dataDirectory, "--log-level", "error"], timeout: .seconds(120))
        #expect(first.status == 0)
        #expect(first.output.contains("falaj_directory: applied 0001_regions.sql"))
        #expect(first.output.contains("falaj_cell_me_central_1: applied 0001_cell.sql"))
        let second = try await runCommand(FalajProcess.binary, ["migrate", "--data-dir", dataDirectory, "--log-level", "error"], timeout: .seconds(120))
        #expect(second.status == 0)
        #expect(second.output.contains("falaj_directory: up to date"))
        #expect(second.output.contains("falaj_cell_eu_west_1: up to date"))
        #expect(!FileManager.default.fileExists(atPath: dataDirectory + "/postgres/postmaster.pid"), "migrate stops the cluster it started")
    }

    @Test func helpDocumentsEveryServeOptionWithItsDefault() async throws {
        let help = try await runCommand(FalajProcess.binary, ["serve", "--help"])
        let text = help.output.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")  // undo line wrapping
        for expected in ["--host", "Default: 127.0.0.1", "--port", "Default: 8080", "--data-dir", "Default: ./.falaj", "--database-url", "FALAJ_DATABASE_URL",
            "--tls-cert", "--tls-key", "--tls-self-signed", "FALAJ_HOST", "FALAJ_PORT", "FALAJ_DATA_DIR"]
        {
            #expect(text.contains(expected), "serve --help lacks \(expected)")
        }
    }

    @Test func badOptionsFailWithAClearMessage() async throws {
        let badPort = try await runCommand(FalajProcess.binary, ["serve", "--port", "70000"])
        #expect(badPort.status != 0)
        let halfTLS = try await runCommand(FalajProcess.binary, ["serve", "--port", "0", "--tls-cert", "/nonexistent.pem"])
        #expect(halfTLS.status != 0)
    }

    @Test func environmentVariablesConfigureTheServer() async throws {
        let falaj = try await FalajProcess(environment: ["FALAJ_HOST": "127.0.0.1"], configureThroughEnvironment: true)
        defer { falaj.stop() }
        #expect(falaj.baseURL.hasPrefix("http://127.0.0.1:"))
        #expect(try await curl([falaj.baseURL + "/healthz"]).status == 200)
        #expect(FileManager.default.fileExists(atPath: falaj.dataDirectory + "/postgres/PG_VERSION"), "FALAJ_DATA_DIR placed the cluster")
    }
}
