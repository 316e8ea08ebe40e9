import Foundation
import Testing
import TestSupport

/// The runs and registry API's refusals: each bad request gets a clear status and names the field, and stores nothing.
@Suite("Training API", .serialized)
struct TrainingAPITests {
    @Test func badRunAndRegistryRequestsAreRefusedNamingTheField() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Trainfolk", plan: "team")
            let browser = server.browser()
            try await DatasetsAPITests.project(browser, key: a.key)
            let upload = try await DatasetsAPITests.upload(browser, key: a.key, "age,plan,churned\n34,pro,true\n41,free,false\n")
            #expect(upload.statusCode == 201, "\(upload.bodyText)")
            func post(_ path: String, _ json: String) async throws -> (Int, [String: Any]) {
                let response = try await browser.api("POST", "/api/v1/projects/churn" + path, json: json, bearer: a.key)
                return (response.statusCode, APIFixtures.json(response))
            }
            func fields(_ body: [String: Any]) -> [String: String] { body["errors"] as? [String: String] ?? [:] }

            var (status, body) = try await post("/runs", #"{"dataset":"customers","training":{"target":"churn"}}"#)
            #expect(status == 422 && fields(body)["training.target"]?.contains("has no column 'churn'") == true, "\(body)")
            (status, body) = try await post("/runs", #"{"dataset":"customers","training":{"target":"churned","validation_fraction":0.9}}"#)
            #expect(status == 422 && fields(body)["training.validation_fraction"] != nil, "\(body)")
            (status, body) = try await post("/runs", #"{"dataset":"nope","training":{"target":"churned"}}"#)
            #expect(status == 404, "\(body)")
            (status, body) = try await post("/runs", #"{"kind":"builtin","dataset":"customers"}"#)
            #expect(status == 422 && fields(body)["training"] != nil, "\(body)")
            (status, body) = try await post("/runs", #"{"kind":"command","command":[]}"#)
            #expect(status == 422 && fields(body)["command"] != nil, "\(body)")
            (status, body) = try await post("/runs", #"{"kind":"sideways"}"#)
            #expect(status == 422 && fields(body)["kind"] != nil, "\(body)")
            (status, body) = try await post("/runs", #"{"dataset":"customers","training":{"target":"churned","algorithm":"forest"}}"#)
            #expect(status == 400, "an unknown algorithm is a malformed body: \(body)")
            (status, body) = try await post("/runs", "{not json")
            #expect(status == 400, "\(body)")

            let listed = try await browser.api("GET", "/api/v1/projects/churn/runs", bearer: a.key)
            #expect((APIFixtures.json(listed)["items"] as? [Any])?.isEmpty == true, "no refused request left a run behind")
            #expect(try await browser.api("GET", "/api/v1/projects/churn/runs?state=bogus", bearer: a.key).statusCode == 422)
            #expect(try await browser.api("GET", "/api/v1/projects/churn/runs/7", bearer: a.key).statusCode == 404)

            (status, body) = try await post("/models/churn/versions", #"{"run": 7}"#)
            #expect(status == 404 && (body["detail"] as? String)?.contains("no run 7") == true, "\(body)")
            (status, body) = try await post("/models", #"{"name":"churn","gates":{"metrics":[{"metric":"roc_auc"}]}}"#)
            #expect(status == 422 && fields(body)["gates.metrics[0]"] != nil, "a rule needs a bound: \(body)")
            (status, body) = try await post("/models", #"{"name":"Churn Model"}"#)
            #expect(status == 422 && fields(body)["name"] != nil, "\(body)")
            (status, body) = try await post("/models", #"{"name":"churn","gates":{"metrics":[{"metric":"roc_auc","min":0.8}],"require_approval":true}}"#)
            #expect(status == 201 && (body["gates"] as? [String: Any])?["require_approval"] as? Bool == true, "\(body)")
            (status, body) = try await post("/models", #"{"name":"churn"}"#)
            #expect(status == 409, "\(body)")
            (status, body) = try await post("/models/churn/promotions", #"{"version":1,"alias":"champion"}"#)
            #expect(status == 404 && (body["detail"] as? String)?.contains("no version 1") == true, "\(body)")
            (status, body) = try await post("/models/ghost/promotions", #"{"version":1,"alias":"champion"}"#)
            #expect(status == 404, "\(body)")
            (status, body) = try await post("/models/churn/promotions/\(UUID().uuidString)/approve", #"{}"#)
            #expect(status == 404, "\(body)")
            #expect(try await browser.api("GET", "/api/v1/projects/churn/models/churn/versions/1/file", bearer: a.key).statusCode == 404)
        }
    }
}
