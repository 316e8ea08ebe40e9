import Foundation
@testable import Portal
import Testing
import TestSupport

/// A large upload streamed through a real socket is never held whole: the server's memory stays flat while the file
/// passes through, and every row arrives. The size is `FALAJ_LARGE_UPLOAD_MB` (default 1024: a 1 GB file, about two minutes in a debug build).
@Suite("Large uploads", .serialized)
struct DatasetsLargeUploadTests {
    /// The process's resident memory now, in bytes (`VmRSS`).
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// Row `index` of the generated file: an id and a 1,000-byte text, so a megabyte is about a thousand rows.
    static func row(_ index: Int, filler: String) -> String { "\(index),\(filler)\(index % 97)\n" }

    @Test func aLargeFileStreamsThroughWithBoundedMemory() async throws {
        let megabytes = Int(ProcessInfo.processInfo.environment["FALAJ_LARGE_UPLOAD_MB"] ?? "") ?? 1024
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Bigfile", plan: "team")
            try await DatasetsAPITests.project(server.browser(), key: a.key)
            let filler = String(repeating: "abcdefghij", count: 99)
            let header = "id,text\n"
            let rowsPerChunk = 1_000
            var chunks = 0
            var totalBytes = header.utf8.count
            // The exact length is needed up front (Content-Length): count it without keeping the file.
            while totalBytes < megabytes << 20 {
                totalBytes += (0..<rowsPerChunk).reduce(0) { $0 + Self.row(chunks * rowsPerChunk + $1, filler: filler).utf8.count }
                chunks += 1
            }
            let client = try await HTTPTestClient.connect(port: server.port, timeout: .seconds(600))
            defer { client.close() }
            try await client.send(
                "POST /api/v1/projects/churn/datasets/customers/versions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(a.key)\r\n"
                    + "Content-Type: text/csv\r\nAccept: application/json\r\nContent-Length: \(totalBytes)\r\n\r\n" + header
            )
            let baseline = Self.residentBytes()
            var peak = baseline
            for chunk in 0..<chunks {
                var text = ""
                text.reserveCapacity(rowsPerChunk * 1_010)
                for index in 0..<rowsPerChunk { text += Self.row(chunk * rowsPerChunk + index, filler: filler) }
                try await client.send(Array(text.utf8), timeout: .seconds(120))
                if chunk % 16 == 0 { peak = max(peak, Self.residentBytes()) }
            }
            let response = try await client.readResponse(timeout: .seconds(600))
            peak = max(peak, Self.residentBytes())
            #expect(response.statusCode == 201, "\(response.bodyText.prefix(500))")
            let version = try #require(APIFixtures.json(response)["version"] as? [String: Any])
            #expect(version["row_count"] as? Int == chunks * rowsPerChunk && version["uploaded_bytes"] as? Int == totalBytes)
            let growth = peak - baseline
            // Holding the file would take at least its size; streaming takes buffers of a few megabytes (other suites
            // running in this process at the same time account for the rest of the allowance).
            #expect(growth < min(totalBytes / 2, 160 << 20), "resident memory grew by \(growth >> 20) MB during a \(totalBytes >> 20) MB upload")
        }
    }
}
