import FalajCrypto
import Foundation
@testable import Portal
import Residency
import Tenancy
import Testing
import TestSupport

/// Projects, datasets and versions through the API: streamed CSV and JSON-lines uploads, reject and skip modes,
/// unreadable files, downloads, residency of the stored file.
@Suite("Datasets API", .serialized)
struct DatasetsAPITests {
    /// Creates project `churn` and dataset `customers` for `key`.
    static func project(_ browser: PortalBrowser, key: String, slug: String = "churn") async throws {
        let project = try await browser.api("POST", "/api/v1/projects", json: #"{"name":"Churn model","slug":"\#(slug)"}"#, bearer: key)
        #expect(project.statusCode == 201, "\(project.bodyText)")
        let dataset = try await browser.api("POST", "/api/v1/projects/\(slug)/datasets", json: #"{"name":"customers","description":"CRM export"}"#, bearer: key)
        #expect(dataset.statusCode == 201, "\(dataset.bodyText)")
    }

    /// POSTs `body` as a new version of `churn/customers` with the query `query`.
    static func upload(_ browser: PortalBrowser, key: String, _ body: String, query: String = "", contentType: String = "text/csv") async throws -> HTTPTestResponse {
        try await browser.request(
            "POST", "/api/v1/projects/churn/datasets/customers/versions\(query.isEmpty ? "" : "?" + query)",
            headers: [("Authorization", "Bearer \(key)"), ("Content-Type", contentType), ("Accept", "application/json")], body: Array(body.utf8)
        )
    }

    static let csv = "\u{FEFF}customer_id,age,plan,signed_up,score,note\r\n"
        + "c1,34,pro,2026-01-05,0.5,\"likes \"\"fast\"\" support\"\r\n"
        + "c2,41,free,2026-02-10T09:30:00Z,1.25,\r\n"
        + "c3,,pro,2026-03-01,2,\"two\nlines\"\r\n"
        + "c4,29,free,2026-03-02,-1,plain\r\n"

    @Test func projectsAndDatasetsAreCreatedListedAndValidated() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Datafolk", plan: "team")
            let browser = server.browser()
            try await Self.project(browser, key: a.key)
            let duplicate = try await browser.api("POST", "/api/v1/projects", json: #"{"name":"Again","slug":"churn"}"#, bearer: a.key)
            #expect(duplicate.statusCode == 409)
            let badSlug = try await browser.api("POST", "/api/v1/projects", json: #"{"name":"Bad","slug":"No Spaces!"}"#, bearer: a.key)
            #expect(badSlug.statusCode == 422 && (APIFixtures.json(badSlug)["errors"] as? [String: String])?["slug"] != nil)
            let made = APIFixtures.json(try await browser.api("POST", "/api/v1/projects", json: #"{"name":"Fraud Signals"}"#, bearer: a.key))
            #expect(made["slug"] as? String == "fraud-signals")
            let projects = APIFixtures.json(try await browser.api("GET", "/api/v1/projects", bearer: a.key))["items"] as? [[String: Any]]
            #expect(projects?.compactMap { $0["slug"] as? String } == ["churn", "fraud-signals"])
            let badName = try await browser.api("POST", "/api/v1/projects/churn/datasets", json: #"{"name":"-x"}"#, bearer: a.key)
            #expect(badName.statusCode == 422 && (APIFixtures.json(badName)["errors"] as? [String: String])?["name"] != nil)
            let sameName = try await browser.api("POST", "/api/v1/projects/churn/datasets", json: #"{"name":"customers"}"#, bearer: a.key)
            #expect(sameName.statusCode == 409)
            let unknown = try await browser.api("POST", "/api/v1/projects/nope/datasets", json: #"{"name":"x1"}"#, bearer: a.key)
            #expect(unknown.statusCode == 404)
            let datasets = APIFixtures.json(try await browser.api("GET", "/api/v1/projects/churn/datasets", bearer: a.key))["items"] as? [[String: Any]]
            #expect(datasets?.count == 1 && datasets?.first?["latest_version"] is NSNull)
        }
    }

    @Test func aCSVUploadBecomesAVersionWithSchemaStatisticsPreviewAndAnExactDownload() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Uploaders", plan: "team")
            let browser = server.browser()
            try await Self.project(browser, key: a.key)
            let uploaded = try await Self.upload(browser, key: a.key, Self.csv, query: "filename=crm%2Fexport.csv&columns=score:float")
            #expect(uploaded.statusCode == 201, "\(uploaded.bodyText)")
            let detail = APIFixtures.json(uploaded)
            let version = try #require(detail["version"] as? [String: Any])
            #expect(version["version"] as? Int == 1 && version["row_count"] as? Int == 4 && version["rejected_count"] as? Int == 0)
            #expect(version["source_name"] as? String == "export.csv" && version["source_format"] as? String == "csv")
            let columns = (version["columns"] as? [[String: String]])?.map { "\($0["name"]!):\($0["type"]!)" }
            #expect(columns == ["customer_id:string", "age:int", "plan:category", "signed_up:timestamp", "score:float", "note:string"])
            let preview = try #require(detail["preview"] as? [[Any]])
            #expect(preview.count == 4 && preview[0][5] as? String == "likes \"fast\" support" && preview[2][1] is NSNull)
            let statistics = try #require(detail["statistics"] as? [[String: Any]])
            let age = try #require(statistics.first { $0["name"] as? String == "age" }?["statistics"] as? [String: Any])
            #expect(age["count"] as? Int == 4 && age["missing"] as? Int == 1)
            #expect(((age["numeric"] as? [String: Any])?["mean"] as? Double).map { abs($0 - 104.0 / 3) < 1e-9 } == true)

            let second = try await Self.upload(browser, key: a.key, "customer_id,age\nc9,50\n")
            #expect(second.statusCode == 201 && (APIFixtures.json(second)["version"] as? [String: Any])?["version"] as? Int == 2)
            let listed = APIFixtures.json(try await browser.api("GET", "/api/v1/projects/churn/datasets/customers", bearer: a.key))
            #expect((listed["versions"] as? [[String: Any]])?.compactMap { $0["version"] as? Int } == [2, 1])
            #expect((listed["dataset"] as? [String: Any])?["latest_version"] as? Int == 2)

            let download = try await browser.request(
                "GET", "/api/v1/projects/churn/datasets/customers/versions/1/content", headers: [("Authorization", "Bearer \(a.key)")]
            )
            #expect(download.statusCode == 200 && download.header("Content-Type")?.hasPrefix("text/csv") == true)
            #expect(SHA256.hexString(download.body) == version["sha256"] as? String)
            #expect(download.body.count == version["size_bytes"] as? Int)
            #expect(download.bodyText.hasPrefix("customer_id,age,plan,signed_up,score,note\r\nc1,34,pro,2026-01-05T00:00:00Z,0.5,\"likes \"\"fast\"\" support\"\r\n"))
            let missing = try await browser.api("GET", "/api/v1/projects/churn/datasets/customers/versions/3", bearer: a.key)
            #expect(missing.statusCode == 404 && missing.bodyText.contains("latest is 2"))
            let audit = try await server.tenancy.audit.events(a.owner, AuditFilter(actionPrefix: "dataset.")).map(\.action)
            #expect(audit.contains("dataset.version_created") && audit.contains("dataset.downloaded"))
        }
    }

    @Test func oneBadRowRefusesTheFileInRejectModeAndIsLeftOutInSkipMode() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Strict", plan: "team")
            let browser = server.browser()
            try await Self.project(browser, key: a.key)
            let file = "customer_id,age\nc1,34\nc2,forty\nc3,51,extra\nc4,29\n"
            let refused = try await Self.upload(browser, key: a.key, file, query: "columns=age:int")
            #expect(refused.statusCode == 422 && refused.header("Content-Type") == "application/problem+json")
            let problem = APIFixtures.json(refused)
            #expect(problem["rejected_count"] as? Int == 2)
            let rows = try #require(problem["rejected_rows"] as? [[String: Any]])
            #expect(rows.first?["line"] as? Int == 3 && rows.first?["column"] as? String == "age")
            #expect(rows.last?["line"] as? Int == 4)
            let nothing = APIFixtures.json(try await browser.api("GET", "/api/v1/projects/churn/datasets/customers", bearer: a.key))
            #expect((nothing["versions"] as? [Any])?.isEmpty == true)
            #expect(Self.storedFiles(server).isEmpty)

            let kept = try await Self.upload(browser, key: a.key, file, query: "columns=age:int&on_error=skip")
            #expect(kept.statusCode == 201, "\(kept.bodyText)")
            let detail = APIFixtures.json(kept)
            #expect((detail["version"] as? [String: Any])?["row_count"] as? Int == 2)
            #expect((detail["version"] as? [String: Any])?["rejected_count"] as? Int == 2)
            #expect((detail["rejections"] as? [[String: Any]])?.compactMap { $0["line"] as? Int } == [3, 4])
            #expect(Self.storedFiles(server).count == 1)
        }
    }

    @Test func statisticsOfAManyBatchUploadCountEveryAcceptedRowAndARefusalStoresNothing() async throws {
        // More rows than several of the statistics worker's batches (4,096), so the last batch is a partial one.
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Batches", plan: "team")
            let browser = server.browser()
            try await Self.project(browser, key: a.key)
            let rows = 10_001
            var file = "customer_id,age\n"
            for index in 0..<rows { file += index == 7_000 ? "c\(index),old\n" : "c\(index),\(index % 100)\n" }
            let kept = try await Self.upload(browser, key: a.key, file, query: "columns=age:int&on_error=skip")
            #expect(kept.statusCode == 201, "\(kept.bodyText)")
            let detail = APIFixtures.json(kept)
            #expect((detail["version"] as? [String: Any])?["row_count"] as? Int == rows - 1)
            let statistics = try #require(detail["statistics"] as? [[String: Any]])
            let age = try #require(statistics.first { $0["name"] as? String == "age" }?["statistics"] as? [String: Any])
            #expect(age["count"] as? Int == rows - 1 && age["missing"] as? Int == 0)
            // Every accepted age summed: 0…99 a hundred times, plus 0 for row 10,000, less the refused row 7,000's 0.
            let mean = Double(100 * (0..<100).reduce(0, +)) / Double(rows - 1)
            #expect(((age["numeric"] as? [String: Any])?["mean"] as? Double).map { abs($0 - mean) < 1e-9 } == true)

            let refused = try await Self.upload(browser, key: a.key, file, query: "columns=age:int")
            #expect(refused.statusCode == 422)
            #expect(Self.storedFiles(server).count == 1)
        }
    }

    @Test func unreadableFilesAreRefusedWithTheReason() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Broken", plan: "team")
            let browser = server.browser()
            try await Self.project(browser, key: a.key)
            let wide = (0..<10_000).map { "c\($0)" }.joined(separator: ",") + "\n" + (0..<10_000).map { _ in "1" }.joined(separator: ",") + "\n"
            let cases: [(String, String, String)] = [
                ("", "", "file"),
                ("a,b\n", "", "file"),
                (wide, "", "file"),
                ("a,b\n1,\"never closed\n", "", "file"),
                ("a,a\n1,2\n", "", "file"),
                ("a,b\n1,2\n", "columns=zzz:int", "columns"),
                ("a,b\n1,2\n", "columns=a:number", "columns"),
                ("a,b\n1,2\n", "format=xml", "format"),
                ("a,b\n1,2\n", "on_error=ignore", "on_error"),
            ]
            for (body, query, field) in cases {
                let response = try await Self.upload(browser, key: a.key, body, query: query)
                let errors = APIFixtures.json(response)["errors"] as? [String: String]
                #expect(response.statusCode == 422 && errors?[field] != nil, "\(query) \(body.prefix(20)): \(response.statusCode) \(response.bodyText.prefix(300))")
            }
            let wideProblem = try await Self.upload(browser, key: a.key, wide)
            #expect(wideProblem.bodyText.contains("10000") || wideProblem.bodyText.contains("10,000"))
            #expect(Self.storedFiles(server).isEmpty)
        }
    }

    @Test func jsonLinesUploadsInferTheirColumnsFromTheKeys() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Lines", plan: "team")
            let browser = server.browser()
            try await Self.project(browser, key: a.key)
            let body = #"""
                {"customer_id": "c1", "spend": 10.5, "active": true}
                {"customer_id": "c2", "spend": 3, "active": false}

                {"customer_id": "c3", "active": null}
                """#
            let response = try await Self.upload(browser, key: a.key, body, contentType: "application/x-ndjson")
            #expect(response.statusCode == 201, "\(response.bodyText)")
            let version = APIFixtures.json(response)["version"] as? [String: Any]
            #expect(version?["source_format"] as? String == "jsonl" && version?["row_count"] as? Int == 3)
            let columns = (version?["columns"] as? [[String: String]])?.map { "\($0["name"]!):\($0["type"]!)" }
            #expect(columns == ["customer_id:string", "spend:float", "active:bool"])
        }
    }

    @Test func aTenantsDatasetFileIsStoredEncryptedInItsHomeRegionOnly() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Residents", plan: "team")
            let browser = server.browser()
            try await Self.project(browser, key: a.key)
            #expect(try await Self.upload(browser, key: a.key, Self.csv).statusCode == 201)
            let files = Self.storedFiles(server)
            #expect(files.count == 1)
            #expect(files.allSatisfy { $0.hasPrefix("\(a.tenant.homeRegion)/tenants/\(a.tenant.id)/datasets/") })
            let stored = try Data(contentsOf: server.blobRoot.appendingPathComponent(try #require(files.first)))
            #expect(!String(decoding: stored, as: UTF8.self).contains("customer_id"))
        }
    }

    /// Dataset files under the test server's blob stores, as `<region>/tenants/<tenant>/datasets/…` paths.
    static func storedFiles(_ server: PortalTestServer) -> [String] {
        let root = server.blobRoot.path
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { $0.contains("/datasets/") && !$0.hasSuffix("/") }
            .filter { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
    }
}
