import ArgumentParser
import Foundation
import Residency
import Tenancy

/// `falaj admin keys …`.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Work with the region key-encryption keys.",
        subcommands: [RewrapKeysCommand.self]
    )
}

/// `falaj admin keys rewrap --region R`: after a new KEK is put first in `FALAJ_KEK_<REGION>` (or the key file), re-wraps
/// every tenant data key of the region under it. Blobs are not touched; the old KEK can be removed afterwards.
struct RewrapKeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewrap",
        abstract: "Re-wrap every tenant data key of a region under the region's current KEK (no data is re-encrypted)."
    )

    @Option(help: "The region id, e.g. me-central-1.")
    var region: String

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = try Bootstrap.logger(level: database.logLevel())
        let databases = try await ControlPlaneDatabases.open(options: database, attachToRunningServer: true, logger: logger)
        do {
            guard databases.cells.contains(where: { $0.region.id == region }) else { throw ValidationError("no cell for region '\(region)'") }
            let tenancy = try await databases.tenancyServices(dataDirectory: database.dataDirectory, environment: environment, logger: logger)
            let keyring = try await RegionKeyring.load(region: region, dataDirectory: URL(fileURLWithPath: database.dataDirectory), environment: environment)
            let count = try await TenantKeys(router: tenancy.environment.router, keyrings: [keyring]).rewrapAll(region: region)
            print("Re-wrapped \(count) data keys of region \(region) under KEK \(keyring.current.id).")
        } catch {
            await databases.close()
            throw error
        }
        await databases.close()
    }
}
