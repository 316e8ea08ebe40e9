import ArgumentParser

/// `falaj bench …`: benchmarks of the control plane that need it in-process (see BENCHMARKS.md; `make bench`).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (not tests): run them with `make bench`.",
        subcommands: [
            BenchDispatchCommand.self, BenchIngestCommand.self, BenchFeaturesCommand.self, BenchTrainersCommand.self, BenchServingCommand.self,
        ]
    )
}
