import AgentNode
import AgentProtocol
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `falaj-agent`: the node agent that enrols with a Falaj server and runs its jobs.
@main
struct FalajAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "falaj-agent",
        abstract: "Falaj node agent: enrols with a Falaj server and runs the jobs it leases.",
        version: AgentNode.version,
        subcommands: [Run.self, Inventory.self],
        defaultSubcommand: Run.self
    )
}

/// Default data directory: /var/lib/falaj-agent as root, else ~/.falaj-agent.
func defaultDataDirectory() -> String {
    getuid() == 0 ? "/var/lib/falaj-agent" : NSHomeDirectory() + "/.falaj-agent"
}

/// Parses sizes such as `4G`, `512M`, `1024K` or plain bytes.
func parseSize(_ text: String) -> Int64? {
    let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
    var body = text.uppercased()
    if body.hasSuffix("IB") { body.removeLast(2) } else if body.hasSuffix("B") { body.removeLast() }
    if let last = body.last, let factor = units[last] { return Int64(body.dropLast()).map { $0 * factor } }
    return Int64(body)
}

extension FalajAgentCommand {
    /// Runs the agent (the default subcommand).
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Register (first time) and run jobs until stopped.")

        @Option(help: "The Falaj server, https://… (http:// only to loopback).") var server: String
        @Option(help: "Join token for the first registration (or env FALAJ_JOIN_TOKEN).") var joinToken: String?
        @Option(help: "State directory (default /var/lib/falaj-agent as root, else ~/.falaj-agent).") var dataDir: String?
        @Option(name: .customLong("label"), help: "A label k=v (repeatable).") var labels: [String] = []
        @Option(help: "PEM file of CA certificates to verify the server with.") var caFile: String?
        @Option(help: "Address other gang members reach this node at.") var advertiseAddress: String?
        @Option(help: "Cores to offer (default: all usable).") var cpus: Int?
        @Option(help: "Memory to offer, e.g. 4G (default: all).") var memory: String?
        @Option(help: "Most jobs at once.") var maxJobs: Int = 4
        @Option(help: "User that commands run as when the agent runs as root.") var runAs: String = "nobody"
        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"

        func run() async throws {
            var labelMap: [String: String] = [:]
            for label in labels {
                let parts = label.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { throw ValidationError("--label must be k=v, got '\(label)'") }
                labelMap[String(parts[0])] = String(parts[1])
            }
            var configuration = AgentConfiguration(
                serverURL: server, joinToken: joinToken ?? ProcessInfo.processInfo.environment["FALAJ_JOIN_TOKEN"],
                dataDirectory: dataDir ?? defaultDataDirectory())
            configuration.labels = labelMap
            configuration.caFile = caFile
            configuration.advertiseAddress = advertiseAddress
            configuration.maxJobs = max(1, maxJobs)
            configuration.runAsUser = runAs
            configuration.overrides.cpuCores = cpus
            if let memory {
                guard let bytes = parseSize(memory) else { throw ValidationError("--memory must look like 4G or 512M, got '\(memory)'") }
                configuration.overrides.memoryBytes = bytes
            }
            do {
                try AgentClient.validate(serverURL: server)
            } catch {
                throw ValidationError("\(error)")
            }
            var logger = Logger(label: "falaj.agent")
            logger.logLevel = Logger.Level(rawValue: logLevel.lowercased()) ?? .info
            let runtime = AgentRuntime(configuration: configuration, logger: logger) { identity in
                print("registered as agent \(identity.agentID.uuidString.lowercased()) in \(identity.region)")
                fflush(nil)
            }
            let group = ServiceGroup(
                configuration: .init(services: [runtime], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            do {
                try await group.run()
            } catch {
                print("falaj-agent stopped: \(error)")
                throw ExitCode(1)
            }
            print("falaj-agent stopped")
        }
    }

    /// Prints the inventory the agent would register with.
    struct Inventory: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print this host's inventory as JSON (checks nvidia-smi detection).")

        @Option(help: "Directory whose free disk is reported.") var dataDir: String?

        func run() async throws {
            let directory = dataDir ?? (FileManager.default.fileExists(atPath: defaultDataDirectory()) ? defaultDataDirectory() : "/")
            let inventory = await NodeInventory.collect(workDirectory: directory)
            let encoder = AgentProtocol.encoder
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(inventory), as: UTF8.self))
        }
    }
}
