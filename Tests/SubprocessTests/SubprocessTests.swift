import Foundation
import Glibc
import Subprocess
import Testing

/// Collects a process's whole output as text.
private func outputText(of process: RunningProcess) async -> String {
    var bytes: [UInt8] = []
    for await chunk in process.output { bytes += chunk }
    return String(decoding: bytes, as: UTF8.self)
}

private func shell(_ script: String, environment: [String: String] = ["PATH": "/usr/bin:/bin"], directory: String? = nil, user: ProcessUser? = nil) -> ProcessConfiguration {
    ProcessConfiguration(executable: "sh", arguments: ["-c", script], environment: environment, workingDirectory: directory, user: user)
}

@Suite("Subprocess")
struct SubprocessTests {
    @Test("reports exit codes and signals")
    func exitCodes() async throws {
        let zero = try await RunningProcess.start(shell("exit 0"))
        #expect(await zero.wait().termination == .exited(0))
        let three = try await RunningProcess.start(shell("exit 3"))
        #expect(await three.wait().exitCode == 3)
        let killed = try await RunningProcess.start(shell("kill -9 $$"))
        #expect(await killed.wait().termination == .signalled(SIGKILL))
    }

    @Test("the child sees exactly the given environment")
    func cleanEnvironment() async throws {
        setenv("FALAJ_SUBPROCESS_LEAK", "parent", 1)
        let process = try await RunningProcess.start(
            ProcessConfiguration(executable: "/usr/bin/env", environment: ["A": "1", "B": "two words"])
        )
        let text = await outputText(of: process)
        #expect(await process.wait().exitCode == 0)
        #expect(text.split(separator: "\n").sorted() == ["A=1", "B=two words"])
    }

    @Test("runs in the given working directory")
    func workingDirectory() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("subprocess-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = try await RunningProcess.start(shell("pwd", directory: directory))
        #expect(await outputText(of: process) == directory + "\n")
        _ = await process.wait()
    }

    @Test("merges stdout and stderr in the order written")
    func outputInOrder() async throws {
        let script = "i=0; while [ $i -lt 2000 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done"
        let process = try await RunningProcess.start(shell(script))
        let lines = await outputText(of: process).split(separator: "\n").map(String.init)
        let expected = (0..<2000).flatMap { ["out\($0)", "err\($0)"] }
        #expect(lines == expected)
        #expect(await process.wait().exitCode == 0)
    }

    @Test("an exec failure is a clear error")
    func execFailure() async throws {
        do {
            _ = try await RunningProcess.start(ProcessConfiguration(executable: "falaj-no-such-program", environment: ["PATH": "/usr/bin:/bin"]))
            Issue.record("expected a failure")
        } catch let error as SubprocessError {
            #expect(error.description == "cannot run 'falaj-no-such-program': No such file or directory")
        }
        do {
            _ = try await RunningProcess.start(ProcessConfiguration(executable: "/bin/true", workingDirectory: "/no/such/dir"))
            Issue.record("expected a failure")
        } catch let error as SubprocessError {
            #expect(error.description == "cannot change to directory '/no/such/dir': No such file or directory")
        }
    }

    @Test("terminateGroup kills the whole process tree")
    func terminateTree() async throws {
        let process = try await RunningProcess.start(shell("sleep 300 & sleep 300 & echo started; wait"))
        var iterator = process.output.makeAsyncIterator()
        let first = await iterator.next() ?? []
        #expect(String(decoding: first, as: UTF8.self).hasPrefix("started"))
        #expect(!process.isGroupGone)
        await process.terminateGroup(grace: .seconds(1))
        let exit = await process.wait()
        #expect(exit.termination == .signalled(SIGTERM))
        #expect(kill(-process.pid, 0) == -1 && errno == ESRCH)
        // The pipe closes once the background sleeps are gone too.
        while await iterator.next() != nil {}
    }

    @Test("a process that ignores SIGTERM is killed after the grace period")
    func killAfterGrace() async throws {
        let process = try await RunningProcess.start(shell("trap '' TERM; echo ready; sleep 300 & wait"))
        var iterator = process.output.makeAsyncIterator()
        _ = await iterator.next()
        await process.terminateGroup(grace: .milliseconds(300))
        #expect(process.isGroupGone)
        #expect(await process.wait().termination == .signalled(SIGKILL))
    }

    @Test("sets RLIMIT_CORE to 0 and the given limits")
    func limits() async throws {
        var configuration = shell("ulimit -c; ulimit -n")
        configuration.limits = ResourceLimits(openFiles: 123)
        let process = try await RunningProcess.start(configuration)
        #expect(await outputText(of: process) == "0\n123\n")
        _ = await process.wait()
    }

    @Test("drops to another user when running as root", .enabled(if: ProcessUser.isRoot))
    func userDrop() async throws {
        let nobody = try #require(ProcessUser.named("nobody"))
        let process = try await RunningProcess.start(shell("id -u; id -g", user: nobody))
        #expect(await outputText(of: process) == "\(nobody.uid)\n\(nobody.gid)\n")
        #expect(await process.wait().exitCode == 0)
    }
}
