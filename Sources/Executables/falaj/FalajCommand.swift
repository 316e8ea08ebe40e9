import ArgumentParser
import Portal

@main
struct FalajCommand: ParsableCommand {
    func run() throws { print(PortalModule.name) }
}
