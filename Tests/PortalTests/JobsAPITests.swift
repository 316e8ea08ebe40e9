import ComputeAgents
import Foundation
import HTTPTypes
@testable import Portal
import Residency
import Tenancy
import Testing
import TestSupport

/// The jobs API: submit → list → detail → cancel, field errors, plan limits, permissions and isolation.
@Suite("Jobs API", .serialized)
struct JobsAPITests {
    /// A `train.command` body running `command` with the given resources JSON.
    static func commandJob(name: String = "train", command: [String] = ["python", "train.py"], resources: String = "{}", extra: String = "") -> String {
        let commandJSON = String(decoding: try! JSONEncoder().encode(command), as: UTF8.self)
        return #"{"kind":"train.command","name":"\#(name)","spec":{"command":\#(commandJSON),"environment":{}},"resources":\#(resources)\#(extra)}"#
    }

    @Test func submitListDetailAndCancelOverTheAPI() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Jobber", plan: "team")
            let browser = server.browser()
            let submitted = try await browser.api(
                "POST", "/api/v1/jobs", json: Self.commandJob(name: "churn", resources: #"{"cpu_millis":500,"memory_bytes":268435456}"#), bearer: a.key
            )
            #expect(submitted.statusCode == 201, "\(submitted.bodyText)")
            let job = APIFixtures.json(submitted)
            let id = try #require(job["id"] as? String)
            #expect(job["state"] as? String == "queued")
            #expect(job["name"] as? String == "churn")
            #expect((job["resources"] as? [String: Any])?["cpu_millis"] as? Int == 500)
            #expect((job["allowed_regions"] as? [String])?.contains(a.tenant.homeRegion) == true)

            let list = APIFixtures.json(try await browser.api("GET", "/api/v1/jobs", bearer: a.key))
            #expect((list["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
            let queued = APIFixtures.json(try await browser.api("GET", "/api/v1/jobs?state=queued", bearer: a.key))
            #expect((queued["items"] as? [[String: Any]])?.count == 1)
            let running = APIFixtures.json(try await browser.api("GET", "/api/v1/jobs?state=running", bearer: a.key))
            #expect((running["items"] as? [[String: Any]])?.isEmpty == true)
            let badFilter = try await browser.api("GET", "/api/v1/jobs?state=sleeping", bearer: a.key)
            #expect(badFilter.statusCode == 422 && (APIFixtures.json(badFilter)["errors"] as? [String: String])?["state"] != nil)

            let detailResponse = try await browser.api("GET", "/api/v1/jobs/\(id)", bearer: a.key)
            #expect(detailResponse.statusCode == 200)
            let detail = APIFixtures.json(detailResponse)
            #expect(detail["placement_note"] is String)
            #expect((detail["attempts"] as? [Any])?.isEmpty == true)
            #expect((detail["artifacts"] as? [Any])?.isEmpty == true)
            #expect((detail["spec"] as? [String: Any])?["command"] as? [String] == ["python", "train.py"])

            let logs = try await browser.api("GET", "/api/v1/jobs/\(id)/logs", bearer: a.key)
            #expect(logs.statusCode == 200 && logs.body.isEmpty)
            #expect(logs.header("Content-Type")?.hasPrefix("text/plain") == true)

            let cancelled = try await browser.api("POST", "/api/v1/jobs/\(id)/cancel", bearer: a.key)
            #expect(cancelled.statusCode == 200, "\(cancelled.bodyText)")
            #expect(APIFixtures.json(cancelled)["state"] as? String == "cancelled")
            let again = try await browser.api("POST", "/api/v1/jobs/\(id)/cancel", bearer: a.key)
            #expect(again.statusCode == 409 && again.header("Content-Type") == "application/problem+json")

            // A finished job's live log ends at once with an `end` event.
            let stream = try await browser.request("GET", "/api/v1/jobs/\(id)/logs", headers: [("Accept", "text/event-stream"), ("Authorization", "Bearer \(a.key)")])
            #expect(stream.header("Content-Type") == "text/event-stream")
            #expect(stream.bodyText.contains("event: end\ndata: \"cancelled\""), "\(stream.bodyText)")
        }
    }

    @Test func validationErrorsNameTheField() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Fussy", plan: "team")
            let browser = server.browser()
            let cases: [(body: String, status: Int, field: String)] = [
                (#"{"name":"x"}"#, 400, "kind"),
                (#"{"kind":"Not A Kind"}"#, 422, "kind"),
                (#"{"kind":"train.command","spec":[1,2]}"#, 422, "spec"),
                (#"{"kind":"train.command","spec":{"command":[]}}"#, 422, "spec"),
                (Self.commandJob(resources: #"{"cpu_millis":0}"#), 422, "resources.cpu_millis"),
                (Self.commandJob(resources: #"{"nodes":0}"#), 422, "resources.nodes"),
                (Self.commandJob(resources: #"{"cpu_millis":"lots"}"#), 400, "resources.cpu_millis"),
                (Self.commandJob(extra: #","max_attempts":99"#), 422, "max_attempts"),
                (Self.commandJob(extra: #","timeout_seconds":0"#), 422, "timeout_seconds"),
                (Self.commandJob(extra: #","node_selector":{"bad key!":"x"}"#), 422, "node_selector"),
            ]
            for item in cases {
                let response = try await browser.api("POST", "/api/v1/jobs", json: item.body, bearer: a.key)
                let label = "\(item.body) → \(response.statusCode) \(response.bodyText)"
                #expect(response.statusCode == item.status, "\(label)")
                #expect(response.header("Content-Type") == "application/problem+json", "\(label)")
                #expect((APIFixtures.json(response)["errors"] as? [String: String])?[item.field] != nil, "\(label)")
            }
            #expect((APIFixtures.json(try await browser.api("GET", "/api/v1/jobs", bearer: a.key))["items"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func freePlanRefusesGPUJobsAndAThirdActiveJob() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Thrifty", plan: "free")
            let browser = server.browser()
            let gpu = try await browser.api("POST", "/api/v1/jobs", json: Self.commandJob(resources: #"{"gpus":1}"#), bearer: a.key)
            #expect(gpu.statusCode == 403, "\(gpu.bodyText)")
            #expect(gpu.bodyText.contains("GPU"), "\(gpu.bodyText)")
            let gang = try await browser.api("POST", "/api/v1/jobs", json: Self.commandJob(resources: #"{"nodes":2}"#), bearer: a.key)
            #expect(gang.statusCode == 403, "\(gang.bodyText)")

            for index in 1...2 {
                let response = try await browser.api("POST", "/api/v1/jobs", json: Self.commandJob(name: "job \(index)"), bearer: a.key)
                #expect(response.statusCode == 201, "\(response.bodyText)")
            }
            let third = try await browser.api("POST", "/api/v1/jobs", json: Self.commandJob(name: "job 3"), bearer: a.key)
            #expect(third.statusCode == 403, "\(third.bodyText)")
            #expect(third.bodyText.contains("2"), "the refusal names the limit: \(third.bodyText)")
            #expect((APIFixtures.json(try await browser.api("GET", "/api/v1/jobs", bearer: a.key))["items"] as? [Any])?.count == 2)

            // Cancelling one frees a slot.
            let first = try #require((APIFixtures.json(try await browser.api("GET", "/api/v1/jobs", bearer: a.key))["items"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await browser.api("POST", "/api/v1/jobs/\(first)/cancel", bearer: a.key).statusCode == 200)
            #expect(try await browser.api("POST", "/api/v1/jobs", json: Self.commandJob(name: "job 3"), bearer: a.key).statusCode == 201)
        }
    }

    @Test func viewerReadsJobsButCannotSubmitOrCancel() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Watchers", plan: "team")
            // As in the permission matrix: the key is made while the member is an owner; the role then narrows it.
            let viewer = try await APIFixtures.member(server, a.owner, email: "viewer@watchers.example", role: "owner")
            let viewerKey = try await APIFixtures.key(server, viewer, permissions: Permission.allCases)
            try await server.tenancy.members.changeRole(a.owner, member: try #require(viewer.actor.userID), to: "viewer")
            let browser = server.browser()
            let id = try #require(APIFixtures.json(try await browser.api("POST", "/api/v1/jobs", json: Self.commandJob(), bearer: a.key))["id"] as? String)

            let submit = try await browser.api("POST", "/api/v1/jobs", json: Self.commandJob(), bearer: viewerKey)
            #expect(submit.statusCode == 403 && submit.bodyText.contains("jobs.write"), "\(submit.bodyText)")
            #expect(try await browser.api("POST", "/api/v1/jobs/\(id)/cancel", bearer: viewerKey).statusCode == 403)
            #expect(try await browser.api("GET", "/api/v1/jobs/\(id)", bearer: viewerKey).statusCode == 200)
            #expect(try await browser.api("GET", "/api/v1/jobs", bearer: viewerKey).statusCode == 200)
            // A key without jobs.read sees nothing.
            let narrow = try await APIFixtures.key(server, a.owner, permissions: [.tenantRead])
            #expect(try await browser.api("GET", "/api/v1/jobs", bearer: narrow).statusCode == 403)
        }
    }

    @Test func anotherTenantCannotSeeOrTouchTheJob() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "AlphaJobs", plan: "team")
            let b = try await APIFixtures.tenant(server, name: "BetaJobs", plan: "team")
            let browser = server.browser()
            let id = try #require(APIFixtures.json(try await browser.api("POST", "/api/v1/jobs", json: Self.commandJob(), bearer: a.key))["id"] as? String)
            for (method, path) in [
                ("GET", "/api/v1/jobs/\(id)"), ("POST", "/api/v1/jobs/\(id)/cancel"), ("GET", "/api/v1/jobs/\(id)/logs"),
                ("GET", "/api/v1/jobs/\(id)/artifacts/model.bin"), ("GET", "/api/v1/jobs/not-a-uuid"),
            ] {
                let response = try await browser.api(method, path, bearer: b.key)
                #expect(response.statusCode == 404, "\(method) \(path) → \(response.statusCode)")
            }
            #expect((APIFixtures.json(try await browser.api("GET", "/api/v1/jobs", bearer: b.key))["items"] as? [Any])?.isEmpty == true)
            let still = APIFixtures.json(try await browser.api("GET", "/api/v1/jobs/\(id)", bearer: a.key))
            #expect(still["state"] as? String == "queued")
        }
    }

    @Test func planLimitsMapToTheJobQuota() {
        #expect(JobsAPI.quota(plan: "free") == .init(maximumActiveJobs: 2, isGPUAllowed: false, maximumNodes: 1))
        #expect(JobsAPI.quota(plan: "team") == .init(maximumActiveJobs: 20, isGPUAllowed: true, maximumNodes: 4))
        #expect(JobsAPI.quota(plan: "enterprise") == .init(maximumActiveJobs: 200, isGPUAllowed: true, maximumNodes: 16))
        #expect(JobsAPI.quota(plan: "platinum") == JobsAPI.quota(plan: "free"))
    }
}
