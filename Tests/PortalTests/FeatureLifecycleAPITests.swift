import Foundation
@testable import Portal
import Testing
import TestSupport

/// The feature store's batch side through the API: a dataset ingested into a group, materialisation, statistics, a
/// feature service, a point-in-time training set with its lineage, and the errors of each.
@Suite("Feature lifecycle API", .serialized)
struct FeatureLifecycleAPITests {
    /// Uploads `csv` as a new version of dataset `name` in `churn` (created when missing).
    static func upload(_ browser: PortalBrowser, key: String, _ name: String, _ csv: String, columns: String = "") async throws {
        _ = try await browser.api("POST", "/api/v1/projects/churn/datasets", json: #"{"name":"\#(name)"}"#, bearer: key)
        let uploaded = try await browser.request(
            "POST", "/api/v1/projects/churn/datasets/\(name)/versions?columns=\(columns)",
            headers: [("Authorization", "Bearer \(key)"), ("Content-Type", "text/csv"), ("Accept", "application/json")], body: Array(csv.utf8)
        )
        #expect(uploaded.statusCode == 201, "\(uploaded.bodyText)")
    }

    @Test func aDatasetIsIngestedMaterialisedDescribedAndJoinedIntoATrainingSet() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Lifecycle", plan: "team")
            let browser = server.browser()
            _ = try await FeaturesAPITests.define(browser, key: a.key)
            try await Self.upload(
                browser, key: a.key, "history",
                "customer_id,event_time,age,spend,plan\nc1,2026-01-01T00:00:00Z,30,10.5,free\nc1,2026-02-01T00:00:00Z,31,12.5,pro\nc2,2026-01-15T00:00:00Z,45,1.5,free\n",
                columns: "plan:category"
            )
            let base = "/api/v1/projects/churn/feature-groups/customer_stats"
            let ingested = try await browser.api("POST", base + "/ingest", json: #"{"dataset":"history","materialize":false}"#, bearer: a.key)
            #expect(ingested.statusCode == 200, "\(ingested.bodyText)")
            let receipt = APIFixtures.json(ingested)
            #expect(receipt["rows"] as? Int == 3 && receipt["skipped_rows"] as? Int == 0 && receipt["dataset_version"] as? Int == 1)
            #expect(receipt["materialization"] is NSNull || receipt["materialization"] == nil)
            #expect((receipt["statistics"] as? [String: Any])?["row_count"] as? Int == 3)

            let materialized = try await browser.api("POST", base + "/materialize", bearer: a.key)
            #expect(materialized.statusCode == 200, "\(materialized.bodyText)")
            #expect(APIFixtures.json(materialized)["online_updates"] as? Int == 2 && APIFixtures.json(materialized)["full"] as? Bool == false)
            #expect(APIFixtures.json(try await browser.api("POST", base + "/materialize?full=true", bearer: a.key))["full"] as? Bool == true)
            #expect(try await browser.api("POST", base + "/materialize?full=yes", bearer: a.key).statusCode == 422)

            let statistics = try await browser.api("GET", base + "/statistics", bearer: a.key)
            let versions = try #require(APIFixtures.json(statistics)["items"] as? [[String: Any]])
            #expect(versions.count == 1 && versions[0]["version"] as? Int == 1 && versions[0]["stale"] as? Bool == false)
            let features = try #require(versions[0]["features"] as? [[String: Any]])
            #expect(features.map { $0["name"] as? String } == ["age", "spend", "plan"])

            let saved = try await browser.api(
                "PUT", "/api/v1/projects/churn/feature-services/churn-model", json: #"{"description":"v1","features":["customer_stats:age","customer_stats:plan"]}"#,
                bearer: a.key
            )
            #expect(saved.statusCode == 200, "\(saved.bodyText)")
            #expect(APIFixtures.json(saved)["features"] as? [String] == ["customer_stats:age", "customer_stats:plan"])
            let online = try await browser.api(
                "POST", "/api/v1/features/online", json: #"{"project":"churn","entity_rows":[{"customer_id":"c1"}],"feature_service":"churn-model"}"#,
                bearer: a.key
            )
            #expect(APIFixtures.json(online)["features"] as? [String] == ["customer_stats:age", "customer_stats:plan"], "\(online.bodyText)")

            try await Self.upload(browser, key: a.key, "labels", "customer_id,event_time,churned\nc1,2026-01-20T00:00:00Z,0\nc1,2026-03-01T00:00:00Z,1\nc2,2026-01-01T00:00:00Z,1\n")
            let built = try await browser.api(
                "POST", "/api/v1/projects/churn/training-sets", json: #"{"entity_dataset":"labels","feature_service":"churn-model","output":"churn-train"}"#,
                bearer: a.key
            )
            #expect(built.statusCode == 201, "\(built.bodyText)")
            let version = try #require(APIFixtures.json(built)["version"] as? [String: Any])
            #expect(version["row_count"] as? Int == 3)
            let lineage = try #require(version["lineage"] as? [String: Any])
            #expect(lineage["kind"] as? String == "training_set" && lineage["feature_service"] as? String == "churn-model")
            #expect((lineage["entities"] as? [String: Any])?["dataset"] as? String == "labels")
            let content = try await browser.request("GET", "/api/v1/projects/churn/datasets/churn-train/versions/1/content", headers: [("Authorization", "Bearer \(a.key)")])
            #expect(
                content.bodyText == "customer_id,event_time,churned,age,plan\r\nc1,2026-01-20T00:00:00Z,0,30,free\r\nc1,2026-03-01T00:00:00Z,1,31,pro\r\n"
                    + "c2,2026-01-01T00:00:00Z,1,,\r\n"
            )
            let lineage2 = APIFixtures.json(try await browser.api("GET", base + "/lineage", bearer: a.key))
            #expect((lineage2["ingestions"] as? [[String: Any]])?.map { $0["dataset_version"] as? Int } == [1], "\(lineage2)")
            #expect((lineage2["training_sets"] as? [[String: Any]])?.map { $0["dataset"] as? String } == ["churn-train"])
            #expect(lineage2["materialized_at"] is String && lineage2["rows_since_materialization"] as? Int == 0)
            let uploadedVersion = try await browser.api("GET", "/api/v1/projects/churn/datasets/labels/versions/1", bearer: a.key)
            #expect((APIFixtures.json(uploadedVersion)["version"] as? [String: Any])?["lineage"] is NSNull, "an upload has no lineage")

            #expect(try await browser.api("DELETE", "/api/v1/projects/churn/feature-services/churn-model", bearer: a.key).statusCode == 204)
            #expect(try await browser.api("GET", "/api/v1/projects/churn/feature-services/churn-model", bearer: a.key).statusCode == 404)
        }
    }

    @Test func badRequestsNameTheField() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Carefullife", plan: "team")
            let browser = server.browser()
            _ = try await FeaturesAPITests.define(browser, key: a.key)
            try await Self.upload(browser, key: a.key, "odd", "customer_id,when\nc1,later\n")
            let cases: [(String, String, String, String)] = [
                ("POST", "/api/v1/projects/churn/feature-groups/customer_stats/ingest", #"{"dataset":"odd"}"#, "columns"),
                ("PUT", "/api/v1/projects/churn/feature-services/Bad Name", #"{"features":["customer_stats:age"]}"#, "name"),
                ("PUT", "/api/v1/projects/churn/feature-services/empty", #"{"features":[]}"#, "features"),
                ("PUT", "/api/v1/projects/churn/feature-services/ghost", #"{"features":["nobody:age"]}"#, "features"),
                ("POST", "/api/v1/projects/churn/training-sets", #"{"entity_dataset":"odd","timestamp_column":"when","features":["customer_stats:age"],"output":"ts-out"}"#, "timestamp_column"),
                ("POST", "/api/v1/projects/churn/training-sets", #"{"entity_dataset":"odd","features":["customer_stats:age"],"feature_service":"x","output":"ts-out"}"#, "features"),
            ]
            for (method, path, json, field) in cases {
                let response = try await browser.api(method, path.replacingOccurrences(of: " ", with: "%20"), json: json, bearer: a.key)
                #expect(response.statusCode == 422, "\(path): \(response.bodyText)")
                #expect((APIFixtures.json(response)["errors"] as? [String: Any])?[field] != nil, "\(path): \(response.bodyText)")
            }
            #expect(try await browser.api("POST", "/api/v1/projects/churn/training-sets", json: #"{"output":"ts-out"}"#, bearer: a.key).statusCode == 400)
            #expect(try await browser.api("POST", "/api/v1/projects/nope/feature-groups/customer_stats/materialize", bearer: a.key).statusCode == 404)
        }
    }

    @Test func catalogMetadataChangesAreAppliedValidatedAndAudited() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Catalogue", plan: "team")
            let browser = server.browser()
            _ = try await FeaturesAPITests.define(browser, key: a.key)
            let path = "/api/v1/projects/churn/feature-groups/customer_stats"
            let changed = try await browser.api("PATCH", path, json: #"{"owner":"Risk team","tags":["risk"],"ttl_seconds":3600}"#, bearer: a.key)
            #expect(changed.statusCode == 200, "\(changed.bodyText)")
            let body = APIFixtures.json(changed)
            #expect(body["owner"] as? String == "Risk team" && body["tags"] as? [String] == ["risk"] && body["ttl_seconds"] as? Int == 3600)
            #expect(body["description"] as? String == "", "fields not sent stay as they were")
            let cleared = APIFixtures.json(try await browser.api("PATCH", path, json: #"{"ttl_seconds":null}"#, bearer: a.key))
            #expect(cleared["ttl_seconds"] is NSNull && cleared["owner"] as? String == "Risk team")
            for (json, field) in [(#"{"ttl_seconds":0}"#, "ttl_seconds"), (#"{"tags":[""]}"#, "tags"), ("{}", "changes")] {
                let refused = try await browser.api("PATCH", path, json: json, bearer: a.key)
                #expect(refused.statusCode == 422 && (APIFixtures.json(refused)["errors"] as? [String: Any])?[field] != nil, "\(json): \(refused.bodyText)")
            }
            let audit = try await browser.api("GET", "/api/v1/audit-events?action=feature_group.catalog_changed", bearer: a.key)
            #expect(audit.bodyText.contains("feature_group.catalog_changed") && audit.bodyText.contains("Risk team"), "\(audit.bodyText.prefix(400))")
        }
    }
}
