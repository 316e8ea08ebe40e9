import Foundation
import Logging

/// Process set-up shared by the subcommands.
enum Bootstrap {
    /// Bootstraps swift-log once (stderr, `key=value` metadata) and returns the root logger.
    static func logger(level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "falaj")
        logger.logLevel = level
        return logger
    }

    /// Finds a repository folder such as `Public` or `Migrations`: the explicit path when given, else
    /// `./NAME` in the working directory, else next to the checkout the binary was built in.
    static func locate(_ name: String, option: String?) throws -> String {
        if let option {
            guard FileManager.default.fileExists(atPath: option) else { throw BootstrapError(message: "\(name) folder \(option) does not exist") }
            return URL(fileURLWithPath: option).standardizedFileURL.path
        }
        let candidates = [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(name),
            // .build/<triple>/<config>/falaj → the package root three levels up.
            URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(name),
        ]
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue {
                return candidate.standardizedFileURL.path
            }
        }
        throw BootstrapError(message: "cannot find the \(name) folder; run from the repository root or pass its path")
    }
}

/// Start-up failed for a reason the operator can fix.
struct BootstrapError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
