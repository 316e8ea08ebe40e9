import AgentNode
import AgentProtocol
import Foundation
import Glibc
import Testing

@Suite("AgentNode units")
struct AgentNodeUnitTests {
    @Test("parses nvidia-smi inventory lines")
    func nvidiaSMIParser() {
        let text = """
            0, GPU-5f0e1c2a-aaaa-bbbb-cccc-000000000001, NVIDIA H200, 143771 MiB, 570.124.06
            1, GPU-5f0e1c2a-aaaa-bbbb-cccc-000000000002, NVIDIA H200, 143771 MiB, 570.124.06
            garbage line
            """
        let gpus = NvidiaSMI.parseInventory(text)
        #expect(gpus.count == 2)
        #expect(gpus.first == GPUDevice(index: 0, uuid: "GPU-5f0e1c2a-aaaa-bbbb-cccc-000000000001", name: "NVIDIA H200", memoryBytes: 143771 << 20, driverVersion: "570.124.06"))
        #expect(gpus.last?.index == 1)
        #expect(NvidiaSMI.parseInventory("").isEmpty)
        #expect(NvidiaSMI.parseUtilization("10\n30\n") == 20)
        #expect(NvidiaSMI.parseUtilization("") == nil)
    }

    @Test("stores the credential with mode 0600 in a 0700 directory and refuses a 0644 file")
    func credentialStorePermissions() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agent-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = CredentialStore(directory: directory)
        #expect(try await store.load() == nil)
        let identity = StoredAgentIdentity(
            agentID: UUID(), region: "eu-west-1", serverURL: "https://falaj.example",
            credential: AgentCredential(token: "fag_x", expiresAt: Date(timeIntervalSince1970: 2_000_000_000)))
        try await store.save(identity)
        var info = stat()
        #expect(stat(store.path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(stat(directory, &info) == 0 && info.st_mode & 0o777 == 0o700)
        #expect(try await store.load() == identity)
        chmod(store.path, 0o644)
        await #expect(throws: CredentialStoreError.self) { try await store.load() }
    }

    @Test("plain http is accepted only for loopback hosts")
    func httpOnlyToLoopback() throws {
        for url in ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "https://falaj.example.com", "http://127.9.9.9"] {
            #expect(throws: Never.self) { try AgentClient.validate(serverURL: url) }
        }
        for url in ["http://falaj.example.com", "http://10.0.0.5:8080", "http://127.0.0.1.example.com", "ftp://x"] {
            #expect(throws: AgentClientError.self) { try AgentClient.validate(serverURL: url) }
        }
        do {
            _ = try AgentClient(serverURL: "http://falaj.example.com")
        } catch let error as AgentClientError {
            #expect(error.message.contains("only loopback hosts may use http"))
        }
    }

    @Test("back-off grows and is capped")
    func backoff() {
        var backoff = Backoff(initial: .milliseconds(500), cap: .seconds(30))
        var delays: [Duration] = []
        for _ in 0..<12 { delays.append(backoff.nextDelay()) }
        #expect(delays.allSatisfy { $0 <= .seconds(30) && $0 >= .milliseconds(250) })
        #expect(delays.last! >= .seconds(15))
    }
}
