import AgentProtocol
import ComputeAgents
import Foundation
import HTTPTypes
@testable import Portal
import PostgresClient
import Residency
import Tenancy
import Testing
import TestSupport

/// A job followed through the API while a node (speaking the real agent API) runs it: the live log over server-sent
/// events, metrics, the artifact download and the final state.
@Suite("Jobs lifecycle", .serialized)
struct JobsLifecycleTests {
    @Test func liveLogMetricsAndArtifactReachTheAPI() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Runner", plan: "team")
            let browser = server.browser()
            let created = APIFixtures.json(try await browser.api("POST", "/api/v1/join-tokens", json: #"{"region":"eu-west-1"}"#, bearer: a.key))
            let agent = try await TestAgent.enrol(browser, token: try #require(created["token"] as? String))
            let submitted = try await browser.api("POST", "/api/v1/jobs", json: JobsAPITests.commandJob(name: "fit"), bearer: a.key)
            let id = try #require(APIFixtures.json(submitted)["id"] as? String)

            var leased: LeasedJob?
            for _ in 0..<5 where leased == nil { leased = try await agent.lease() }
            let job = try #require(leased, "the dedicated node leases the tenant's job")
            #expect(job.jobID.uuidString.lowercased() == id.lowercased())
            let started = JobEventBatch(events: [JobEventReport(kind: .started)])
            #expect(try await TestAgent.send(browser, "POST", AgentEndpoint.events(id), started, bearer: job.token).statusCode == 204)

            // Follow the log live while the node writes it.
            let stream = try await HTTPTestClient.connect(port: server.port, timeout: .seconds(30))
            defer { stream.close() }
            try await stream.send(
                "GET /api/v1/jobs/\(id)/logs HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nAuthorization: Bearer \(a.key)\r\n\r\n"
            )
            let head = try await stream.readResponseHead()
            #expect(head.statusCode == 200 && head.header("Content-Type") == "text/event-stream")

            let chunks = ["epoch 1 loss 0.9\n", "progress 50%\r", "épochs done ✓\n"]
            for (seq, text) in chunks.enumerated() {
                let response = try await TestAgent.sendBytes(browser, "POST", AgentEndpoint.logs(id) + "?seq=\(seq)", Array(text.utf8), job: job)
                #expect(response.statusCode == 200, "log chunk \(seq) → \(response.statusCode) \(response.bodyText)")
            }
            var events = ""
            while !events.contains("done ✓") {
                guard let chunk = try await stream.readChunk() else { break }
                events += String(decoding: chunk, as: UTF8.self)
            }
            #expect(events.contains(#"data: "epoch 1 loss 0.9\n""#), "\(events)")
            #expect(events.contains(#"data: "progress 50%\r""#), "carriage returns survive: \(events)")
            #expect(events.contains("id: \(job.attempt).0.2"), "\(events)")

            let metrics = JobEventBatch(events: [
                JobEventReport(kind: .metric, name: "loss", step: 1, value: 0.9), JobEventReport(kind: .metric, name: "loss", step: 2, value: 0.4),
                JobEventReport(kind: .metric, name: "accuracy", step: 2, value: 0.8),
            ])
            #expect(try await TestAgent.send(browser, "POST", AgentEndpoint.events(id), metrics, bearer: job.token).statusCode == 204)
            let artifact = Array((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            let upload = try await TestAgent.sendBytes(
                browser, "PUT", AgentEndpoint.artifact(id, path: "out/model-v1.bin"), artifact, job: job,
                headers: [(AgentProtocol.sha256Header, MigrationChecksum.sha256Hex(artifact))]
            )
            #expect(upload.statusCode == 201, "\(upload.bodyText)")
            let result = JobResultReport(outcome: .succeeded, exitCode: 0, wallSeconds: 3)
            #expect(try await TestAgent.send(browser, "POST", AgentEndpoint.result(id), result, bearer: job.token).statusCode == 200)

            // The stream ends with `end` once the job is final.
            while let chunk = try await stream.readChunk() { events += String(decoding: chunk, as: UTF8.self) }
            #expect(events.hasSuffix("event: end\ndata: \"succeeded\"\n\n"), "\(events.suffix(200))")

            let text = try await browser.api("GET", "/api/v1/jobs/\(id)/logs", bearer: a.key)
            #expect(text.bodyText == chunks.joined())
            let detail = APIFixtures.json(try await browser.api("GET", "/api/v1/jobs/\(id)", bearer: a.key))
            #expect(detail["state"] as? String == "succeeded" && detail["exit_code"] as? Int == 0)
            let attempts = try #require(detail["attempts"] as? [[String: Any]])
            #expect(attempts.count == 1 && attempts.first?["agent_region"] as? String == "eu-west-1")
            let latest = (detail["metrics"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0["value"] as? Double ?? -1) }
            #expect(latest.map(\.0) == ["accuracy", "loss"] && latest.last?.1 == 0.4, "\(latest)")
            let artifacts = try #require(detail["artifacts"] as? [[String: Any]])
            let download = try #require(artifacts.first?["download_url"] as? String)
            #expect(download.hasSuffix("/artifacts/out/model-v1.bin"), "\(download)")

            let file = try await browser.api("GET", download, bearer: a.key)
            #expect(file.statusCode == 200 && file.body == artifact)
            #expect(file.header("Content-Type") == "application/octet-stream")
            #expect(file.header("Content-Disposition")?.hasPrefix(#"attachment; filename="model-v1.bin""#) == true)
            #expect(try await browser.api("GET", "/api/v1/jobs/\(id)/artifacts/out/other.bin", bearer: a.key).statusCode == 404)

            // A reconnecting client resumes after the last event it saw.
            let resumed = try await browser.request(
                "GET", "/api/v1/jobs/\(id)/logs",
                headers: [("Accept", "text/event-stream"), ("Authorization", "Bearer \(a.key)"), ("Last-Event-ID", "\(job.attempt).0.1")]
            )
            #expect(!resumed.bodyText.contains("epoch 1") && resumed.bodyText.contains("done ✓") && resumed.bodyText.contains("event: end"))

            // The job page shows the same, and the browser downloads the artifact with its session.
            let page = server.browser()
            page.setCookie("falaj_session", try await JobsPagesTests.session(server, a))
            let html = try await page.get("/app/jobs/\(id)")
            #expect(html.statusCode == 200)
            for fragment in ["succeeded", "epoch 1 loss 0.9", "accuracy", "<polyline", "model-v1.bin", "/static/js/job-log.js", #"data-final="true""#] {
                #expect(html.bodyText.contains(fragment), "job page lacks \(fragment)")
            }
            #expect(!html.bodyText.contains("cancel-form"), "no cancel button on a finished job")
            let pageDownload = try await page.get("/app/jobs/\(id)/artifacts/out/model-v1.bin")
            #expect(pageDownload.statusCode == 200 && pageDownload.body == artifact)
        }
    }
}
