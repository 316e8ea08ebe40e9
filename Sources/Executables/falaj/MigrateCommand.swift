import ArgumentParser
import Foundation

/// `falaj migrate`: applies pending migrations to the directory and every cell database, then exits.
/// `serve` does the same at start-up; this command is for deploy pipelines and operators.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending migrations to the directory and cell databases, then exit."
    )

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = try Bootstrap.logger(level: database.logLevel())
        let databases = try await ControlPlaneDatabases.open(options: database, logger: logger)
        for line in databases.migrationReport { print(line) }
        await databases.close()
    }
}
