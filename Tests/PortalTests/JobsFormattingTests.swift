import AgentProtocol
import ComputeAgents
import Foundation
@testable import Portal
import WebServer
import Testing

/// The pure pieces behind the jobs and nodes pages: UTF-8 across log chunks, event ids, labels and the job form.
@Suite struct JobsFormattingTests {
    @Test func aCharacterSplitAcrossChunksIsHeldBackUntilItIsWhole() {
        let bytes = Array("ok ✓".utf8)
        let (text, rest) = JobLogStream.decodeUTF8(Array(bytes.dropLast(1)))
        #expect(text == "ok " && rest == Array(bytes[3..<(bytes.count - 1)]))
        #expect(JobLogStream.decodeUTF8(rest + [bytes.last!]).text == "✓")
        #expect(JobLogStream.decodeUTF8([]).text.isEmpty)
        #expect(JobLogStream.decodeUTF8(Array("plain".utf8)) == ("plain", []))
    }

    @Test func eventIDsRoundTripAndRejectJunk() {
        let position = JobLogStream.position(from: JobLogStream.eventID((2, 1, 40)))
        #expect(position?.attempt == 2 && position?.nodeRank == 1 && position?.seq == 40)
        for junk in ["", "1.2", "a.b.c", "1.-1.2", "1.2.3.4"] { #expect(JobLogStream.position(from: junk) == nil, "\(junk)") }
        #expect(JSONText.quoted("a\r\n\"b\"") == #""a\r\n\"b\"""#)
    }

    @Test func labelsParseFromCommaSeparatedPairs() throws {
        #expect(try NodesAPI.labels(from: "gpu=h100, rack = a1,\nzone=") == ["gpu": "h100", "rack": "a1", "zone": ""])
        #expect(try NodesAPI.labels(from: "  ").isEmpty)
        #expect(throws: ComputeAgentsError.self) { try NodesAPI.labels(from: "gpu") }
    }

    @Test func theJobFormSplitsCommandsAndConvertsUnits() throws {
        #expect(JobView.resources(.init(cpuMillis: 500, memoryBytes: 1536 << 20, gpus: 2, gpuType: "H100", nodes: 2)) == "0.5 CPU · 1.5 GiB · 2 GPU (H100) · 2 nodes")
        #expect(JobView.bytes(512 << 20) == "512 MiB")
        #expect(JobsJSON.snakeCase("resources.cpuMillis") == "resources.cpu_millis")
    }
}
