import AgentNode
import ArgumentParser

/// `falaj-agent`: the node agent. Registration and job execution arrive with the compute-agents issue.
@main
struct FalajAgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "falaj-agent",
        abstract: "Falaj node agent (registration and jobs arrive with the compute-agents issue).",
        version: "0.1.0"
    )

    func run() throws {
        print("falaj-agent speaks agent protocol v\(AgentNode.protocolVersion); registration is not implemented yet.")
    }
}
