import ArgumentParser
import BlockingPool
import Foundation
import Logging
import Residency
import Tenancy

/// `falaj admin …`: operator tasks run from a shell on a control-plane host.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Operator tasks: create operator accounts, verify the audit trail, re-wrap data keys, create agent join tokens.",
        subcommands: [CreateOperatorCommand.self, AuditCommand.self, KeysCommand.self, JoinTokenCommand.self]
    )
}

/// `falaj admin create-operator --email … --name …`: adds a platform operator (password from
/// `FALAJ_OPERATOR_PASSWORD` or the first line of standard input, never a flag, so it stays out of shell history).
struct CreateOperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-operator",
        abstract: "Create a platform operator account (password from FALAJ_OPERATOR_PASSWORD or stdin)."
    )

    @Option(help: "The operator's e-mail address (their login).")
    var email: String

    @Option(help: "The operator's name.")
    var name: String

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = try Bootstrap.logger(level: database.logLevel())
        let password = try await BlockingPool.shared.run {
            if let fromEnvironment = environment["FALAJ_OPERATOR_PASSWORD"], !fromEnvironment.isEmpty { return fromEnvironment }
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("give the password in FALAJ_OPERATOR_PASSWORD or on standard input")
            }
            return line
        }
        let databases = try await ControlPlaneDatabases.open(options: database, attachToRunningServer: true, logger: logger)
        do {
            let tenancy = try await databases.tenancyServices(dataDirectory: database.dataDirectory, environment: environment, logger: logger)
            let created = try await tenancy.operators.ensureOperator(email: email, displayName: name, password: password)
            print(created ? "Created operator \(email.lowercased())." : "An operator with e-mail \(email.lowercased()) already exists; nothing changed.")
        } catch let error as TenancyError {
            await databases.close()
            throw ValidationError(error.description)
        } catch {
            await databases.close()
            throw error
        }
        await databases.close()
    }
}

extension ControlPlaneDatabases {
    /// The tenancy services over these databases, with the installation's master secret.
    func tenancyServices(dataDirectory: String, environment: [String: String], logger: Logger) async throws -> TenancyServices {
        let master = try await BlockingPool.shared.run { try ServerSecret.load(dataDirectory: dataDirectory, environment: environment) }
        let router = CellRouter(directory: directory, cells: Dictionary(uniqueKeysWithValues: cells.map { ($0.region.id, $0.pool) }))
        return TenancyServices(
            environment: TenancyEnvironment(router: router, secrets: try TenancySecrets(master: master), passwords: try await PasswordPolicy.load(), logger: logger)
        )
    }
}
