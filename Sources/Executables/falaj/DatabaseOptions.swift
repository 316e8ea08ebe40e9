import ArgumentParser
import Foundation
import Logging

/// Options shared by `serve` and `migrate`: where the data lives and which databases to use.
/// Each option falls back to its `FALAJ_…` environment variable, then to the stated default.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Folder for the embedded Postgres cluster and local state. Env: FALAJ_DATA_DIR. Default: ./.falaj")
    var dataDirectoryOption: String?

    @Option(
        name: .customLong("database-url"),
        help: """
            Postgres URL of the directory database, as the owner role that runs migrations. Cells default to the databases \
            falaj_cell_<region> on the same server. Without it, an embedded cluster starts under --data-dir. Env: FALAJ_DATABASE_URL.
            """
    )
    var databaseURLOption: String?

    @Option(
        name: .customLong("cell-database-url"),
        help: "A region's cell database as REGION=URL (repeatable), e.g. me-central-1=postgresql://…/falaj_cell_me. Env: FALAJ_CELL_DATABASE_URLS (comma-separated)."
    )
    var cellDatabaseURLOptions: [String] = []

    @Option(name: .customLong("app-role"), help: "Role the application connects as (no superuser, no BYPASSRLS). Env: FALAJ_APP_ROLE. Default: falaj_app")
    var appRoleOption: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical. Env: FALAJ_LOG_LEVEL. Default: info")
    var logLevelOption: String?

    private var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The data directory as an absolute path.
    var dataDirectory: String {
        let path = dataDirectoryOption ?? environment["FALAJ_DATA_DIR"] ?? "./.falaj"
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// The directory database URL, if one was given.
    var databaseURL: String? { databaseURLOption ?? environment["FALAJ_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    /// Region → cell URL overrides.
    func cellDatabaseURLs() throws -> [String: String] {
        var entries = cellDatabaseURLOptions
        if entries.isEmpty, let fromEnvironment = environment["FALAJ_CELL_DATABASE_URLS"] {
            entries = fromEnvironment.split(separator: ",").map(String.init)
        }
        var urls: [String: String] = [:]
        for entry in entries {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ValidationError("--cell-database-url expects REGION=URL, got '\(entry)'")
            }
            urls[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        return urls
    }

    /// The application role.
    var appRole: String { appRoleOption ?? environment["FALAJ_APP_ROLE"] ?? "falaj_app" }

    /// The log level.
    func logLevel() throws -> Logger.Level {
        let text = logLevelOption ?? environment["FALAJ_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: text.lowercased()) else { throw ValidationError("unknown log level '\(text)'") }
        return level
    }
}
