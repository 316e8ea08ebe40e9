import ArgumentParser
import ComputeAgents
import Foundation
import Residency
import Tenancy

/// `falaj admin join-token --region R [--tenant SLUG] …`: creates a join token for compute agents from a shell on a
/// control-plane host (the operator console's join-tokens page does the same) and prints the command to run on the node.
struct JoinTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join-token",
        abstract: "Create a join token that enrols compute agents into a region (optionally dedicated to one tenant)."
    )

    @Option(help: "The region agents enrolled with the token join, e.g. me-central-1.")
    var region: String

    @Option(help: "Dedicate the agents to this tenant (its slug); they then run only its jobs.")
    var tenant: String?

    @Option(name: .customLong("label"), help: "A label every enrolled agent gets, as key=value (repeatable).")
    var labels: [String] = []

    @Option(help: "How many agents may enrol with it.")
    var maxUses = 1

    @Option(help: "Hours until it expires.")
    var expiresHours = 24

    @Option(help: "The server URL printed in the join command. Default: http://127.0.0.1:8080")
    var serverURL = "http://127.0.0.1:8080"

    @Flag(help: "Print only the token (for scripts).")
    var quiet = false

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = try Bootstrap.logger(level: database.logLevel())
        var parsedLabels: [String: String] = [:]
        for label in labels {
            let parts = label.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--label takes key=value, not '\(label)'") }
            parsedLabels[parts[0]] = parts[1]
        }
        let databases = try await ControlPlaneDatabases.open(options: database, attachToRunningServer: true, logger: logger)
        do {
            let tenancy = try await databases.tenancyServices(dataDirectory: database.dataDirectory, environment: environment, logger: logger)
            var dedicated: TenantID?
            if let tenant {
                guard let summary = try await tenancy.directory.all().first(where: { $0.slug == tenant }) else {
                    throw ValidationError("no tenant with slug '\(tenant)'")
                }
                dedicated = summary.id
            }
            let router = tenancy.environment.router
            let agents = ComputeAgentsServices(
                router: router, blobs: TenantBlobs(keys: TenantKeys(router: router, keyrings: []), stores: [:]), configuration: ComputeAgentsConfiguration(),
                logger: logger
            )
            // The command line acts for the platform: recorded as the nil operator id.
            let (token, summary) = try await agents.joinTokens.create(
                JoinTokenRequest(
                    region: region, dedicatedTenantID: dedicated, labels: parsedLabels, description: "created with falaj admin join-token", maxUses: maxUses,
                    lifetimeSeconds: expiresHours * 3600
                ),
                by: .platformOperator(id: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), requestID: "cli", clientAddress: "")
            )
            if quiet {
                print(token)
            } else {
                print("Join token for region \(summary.region)\(tenant.map { ", dedicated to \($0)" } ?? "") (\(summary.maxUses) use(s), expires \(summary.expiresAt)):")
                print("  falaj-agent --server \(serverURL) --join-token \(token)")
            }
        } catch let error as ComputeAgentsError {
            await databases.close()
            throw ValidationError(error.description)
        } catch {
            await databases.close()
            throw error
        }
        await databases.close()
    }
}
