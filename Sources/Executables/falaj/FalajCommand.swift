import ArgumentParser

/// `falaj`: the control plane. `serve` runs it; `migrate` brings the databases up to date.
@main
struct FalajCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "falaj",
        abstract: "Falaj: a multi-tenant ML platform that keeps each tenant's data in its region.",
        version: "0.1.0",
        subcommands: [ServeCommand.self, MigrateCommand.self, AdminCommand.self, BenchCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
