import ArgumentParser
import Foundation
import Logging
import Residency
import Tenancy

/// `falaj admin audit …`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Work with the hash-chained audit trail.",
        subcommands: [AuditVerifyCommand.self]
    )
}

/// `falaj admin audit verify [--tenant SLUG|ID]`: recomputes every tenant's audit chain (or one tenant's) and reports
/// the first broken link. Exit status 0 when every chain is intact, 1 when one is broken.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute audit hash chains; exit 0 when intact, 1 at the first broken link."
    )

    @Option(help: "Only this tenant (slug or id). Default: every tenant.")
    var tenant: String?

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = try Bootstrap.logger(level: database.logLevel())
        let databases = try await ControlPlaneDatabases.open(options: database, attachToRunningServer: true, logger: logger)
        let isIntact: Bool
        do {
            let tenancy = try await databases.tenancyServices(dataDirectory: database.dataDirectory, environment: environment, logger: logger)
            isIntact = try await verify(tenancy)
        } catch {
            await databases.close()
            throw error
        }
        await databases.close()
        if !isIntact { throw ExitCode(1) }
    }

    private func verify(_ tenancy: TenancyServices) async throws -> Bool {
        var tenants = try await tenancy.directory.all()
        if let wanted = tenant {
            tenants = tenants.filter { $0.slug == wanted || $0.id.description == wanted.lowercased() }
            guard !tenants.isEmpty else { throw ValidationError("no tenant with slug or id '\(wanted)'") }
        }
        var isIntact = true
        var events = 0
        for summary in tenants {
            let result = try await tenancy.environment.router.withTenantTransaction(summary.id) { try await AuditLog.verify(on: $0) }
            events += result.checked
            if let broken = result.brokenAt {
                isIntact = false
                print("BROKEN \(summary.slug) (\(summary.id), \(summary.homeRegion)): first broken link at event \(broken): \(result.reason ?? "")")
            } else {
                print("ok     \(summary.slug) (\(summary.homeRegion)): \(result.checked) events")
            }
        }
        print(isIntact ? "Audit trail intact: \(tenants.count) tenants, \(events) events." : "Audit trail BROKEN.")
        return isIntact
    }
}
