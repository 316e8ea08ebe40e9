import Foundation
@testable import Portal
import Testing
import TestSupport

/// The feature store through the API: entities and groups, the catalog search, pushes with Idempotency-Key, online
/// reads with their JSON shape, field errors.
@Suite("Features API", .serialized)
struct FeaturesAPITests {
    /// Creates project `churn`, entity `customer` and group `customer_stats`; returns the group's id.
    static func define(_ browser: PortalBrowser, key: String, project: String = "churn") async throws -> String {
        _ = try await browser.api("POST", "/api/v1/projects", json: #"{"name":"Churn","slug":"\#(project)"}"#, bearer: key)
        let entity = try await browser.api("POST", "/api/v1/projects/\(project)/entities", json: #"{"name":"customer","join_key":"customer_id"}"#, bearer: key)
        #expect(entity.statusCode == 201, "\(entity.bodyText)")
        let group = try await browser.api(
            "POST", "/api/v1/projects/\(project)/feature-groups",
            json: #"""
                {"name":"customer_stats","entity":"customer","owner":"Growth team","tags":["crm","weekly"],"ttl_seconds":null,
                 "features":[{"name":"age","type":"int","pii":"personal"},{"name":"spend","type":"float","description":"30-day spend"},
                             {"name":"plan","type":"category"}]}
                """#,
            bearer: key
        )
        #expect(group.statusCode == 201, "\(group.bodyText)")
        return try #require(APIFixtures.json(group)["id"] as? String)
    }

    static func push(_ browser: PortalBrowser, key: String, group: String, _ rows: String, idempotencyKey: String? = nil) async throws -> HTTPTestResponse {
        var headers = [("Authorization", "Bearer \(key)"), ("Content-Type", "application/json"), ("Accept", "application/json")]
        if let idempotencyKey { headers.append(("Idempotency-Key", idempotencyKey)) }
        return try await browser.request("POST", "/api/v1/feature-groups/\(group)/push", headers: headers, body: Array(#"{"rows":\#(rows)}"#.utf8))
    }

    @Test func groupsArePushedToAndReadOnlineWithMissingEntitiesAnswered() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Featured", plan: "team")
            let browser = server.browser()
            let group = try await Self.define(browser, key: a.key)
            let rows = #"[{"customer_id":"c1","event_time":"2026-01-01T00:00:00Z","age":30,"spend":10.5,"plan":"pro"},"#
                + #"{"customer_id":"c1","event_time":"2026-02-01T00:00:00Z","age":31,"spend":12.25,"plan":"pro"}]"#
            let pushed = try await Self.push(browser, key: a.key, group: group, rows, idempotencyKey: "load-1")
            #expect(pushed.statusCode == 200, "\(pushed.bodyText)")
            #expect(APIFixtures.json(pushed)["rows"] as? Int == 2 && APIFixtures.json(pushed)["replayed"] as? Bool == false)
            let replayed = try await Self.push(browser, key: a.key, group: group, rows, idempotencyKey: "load-1")
            #expect(APIFixtures.json(replayed)["replayed"] as? Bool == true)
            let reused = try await Self.push(
                browser, key: a.key, group: group, #"[{"customer_id":"c9","event_time":"2026-01-01T00:00:00Z"}]"#, idempotencyKey: "load-1"
            )
            #expect(reused.statusCode == 409)

            let read = try await browser.api(
                "POST", "/api/v1/features/online",
                json: #"{"project":"churn","entity_rows":[{"customer_id":"c1"},{"customer_id":"ghost"}],"features":["customer_stats:age","customer_stats:spend"]}"#,
                bearer: a.key
            )
            #expect(read.statusCode == 200, "\(read.bodyText)")
            let body = APIFixtures.json(read)
            #expect(body["features"] as? [String] == ["customer_stats:age", "customer_stats:spend"])
            let results = try #require(body["results"] as? [[String: Any]])
            #expect(results.map { $0["found"] as? Bool } == [true, false])
            let age = try #require((results[0]["values"] as? [String: Any])?["customer_stats:age"] as? [String: Any])
            #expect(age["value"] as? Int == 31 && age["status"] as? String == "present" && (age["event_time"] as? String)?.hasPrefix("2026-02-01") == true)
            let ghost = try #require((results[1]["values"] as? [String: Any])?["customer_stats:spend"] as? [String: Any])
            #expect(ghost["value"] is NSNull && ghost["status"] as? String == "missing" && ghost["event_time"] is NSNull)
            #expect((results[1]["entity"] as? [String: String])?["customer_id"] == "ghost")
        }
    }

    @Test func badDefinitionsPushesAndReadsNameTheField() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Careful", plan: "team")
            let browser = server.browser()
            let group = try await Self.define(browser, key: a.key)
            let cases: [(String, String, String)] = [
                ("/api/v1/projects/churn/entities", #"{"name":"user","join_key":"1bad"}"#, "join_key"),
                ("/api/v1/projects/churn/feature-groups", #"{"name":"g2","entity":"nobody","features":[{"name":"x","type":"int"}]}"#, "entity"),
                ("/api/v1/projects/churn/feature-groups", #"{"name":"g3","entity":"customer","features":[{"name":"x","type":"number"}]}"#, "features[0].type"),
                ("/api/v1/projects/churn/feature-groups", #"{"name":"g4","entity":"customer","features":[{"name":"customer_id","type":"int"}]}"#, "features[0].name"),
                ("/api/v1/projects/churn/feature-groups", #"{"name":"g5","entity":"customer","features":[]}"#, "features"),
                ("/api/v1/features/online", #"{"project":"churn","entity_rows":[{"customer_id":"c1"}],"features":["customer_stats:nope"]}"#, "features"),
                ("/api/v1/features/online", #"{"project":"churn","entity_rows":[],"features":["customer_stats:age"]}"#, "entity_rows"),
            ]
            for (path, json, field) in cases {
                let response = try await browser.api("POST", path, json: json, bearer: a.key)
                let errors = APIFixtures.json(response)["errors"] as? [String: String]
                #expect(response.statusCode == 422 && errors?[field] != nil, "\(path) \(json): \(response.statusCode) \(response.bodyText.prefix(300))")
            }
            let badRows = try await Self.push(browser, key: a.key, group: group, #"[{"customer_id":"c1","event_time":"2026-01-01T00:00:00Z","age":"old"}]"#)
            #expect(badRows.statusCode == 422 && (APIFixtures.json(badRows)["errors"] as? [String: String])?["rows[0].age"] != nil)
            let nested = try await Self.push(browser, key: a.key, group: group, #"[{"customer_id":"c1","event_time":"2026-01-01T00:00:00Z","age":[1]}]"#)
            #expect(nested.statusCode == 400)
            let unknownGroup = try await Self.push(browser, key: a.key, group: UUID().uuidString, "[]")
            #expect(unknownGroup.statusCode == 404 || unknownGroup.statusCode == 422)
        }
    }

    @Test func theCatalogFindsGroupsByTextTagOwnerAndPersonalData() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Cataloged", plan: "team")
            let browser = server.browser()
            _ = try await Self.define(browser, key: a.key)
            _ = try await browser.api(
                "POST", "/api/v1/projects/churn/feature-groups",
                json: #"{"name":"support_tickets","entity":"customer","owner":"Support","features":[{"name":"open_tickets","type":"int"}]}"#, bearer: a.key
            )
            func names(_ query: String) async throws -> [String] {
                let items = APIFixtures.json(try await browser.api("GET", "/api/v1/projects/churn/feature-groups\(query)", bearer: a.key))["items"] as? [[String: Any]]
                return items?.compactMap { $0["name"] as? String } ?? []
            }
            #expect(try await names("") == ["customer_stats", "support_tickets"])
            #expect(try await names("?q=ticket") == ["support_tickets"])
            #expect(try await names("?q=SPEND") == ["customer_stats"], "feature names are searched, case-insensitively")
            #expect(try await names("?tag=weekly") == ["customer_stats"])
            #expect(try await names("?owner=supp") == ["support_tickets"])
            #expect(try await names("?pii=personal") == ["customer_stats"])
            #expect(try await names("?q=%25") == [], "LIKE wildcards are searched as text")
            let version = try await browser.api(
                "POST", "/api/v1/projects/churn/feature-groups/support_tickets/versions",
                json: #"{"features":[{"name":"open_tickets","type":"int"},{"name":"last_contact","type":"timestamp"}]}"#, bearer: a.key
            )
            #expect(version.statusCode == 201 && APIFixtures.json(version)["latest_version"] as? Int == 2)
            let detail = APIFixtures.json(try await browser.api("GET", "/api/v1/projects/churn/feature-groups/support_tickets", bearer: a.key))
            #expect((detail["versions"] as? [[String: Any]])?.compactMap { $0["version"] as? Int } == [2, 1])
            #expect(detail["online_entities"] as? Int == 0 && detail["latest_event_time"] is NSNull)
        }
    }

    @Test func anotherTenantWithTheSameNamesSeesNoneOfTheFeatures() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Alphafeat", plan: "team")
            let b = try await APIFixtures.tenant(server, name: "Bravofeat", plan: "team")
            let browser = server.browser()
            let aGroup = try await Self.define(browser, key: a.key)
            _ = try await Self.define(browser, key: b.key)
            let pushed = try await Self.push(browser, key: a.key, group: aGroup, #"[{"customer_id":"alpha-1","event_time":"2026-01-01T00:00:00Z","age":52}]"#)
            #expect(pushed.statusCode == 200)
            let read = #"{"project":"churn","entity_rows":[{"customer_id":"alpha-1"}],"features":["customer_stats:*"]}"#
            let bRead = APIFixtures.json(try await browser.api("POST", "/api/v1/features/online", json: read, bearer: b.key))
            #expect((bRead["results"] as? [[String: Any]])?.first?["found"] as? Bool == false)
            let aRead = APIFixtures.json(try await browser.api("POST", "/api/v1/features/online", json: read, bearer: a.key))
            #expect((aRead["results"] as? [[String: Any]])?.first?["found"] as? Bool == true)
            let bPushToA = try await Self.push(browser, key: b.key, group: aGroup, #"[{"customer_id":"x","event_time":"2026-01-01T00:00:00Z"}]"#)
            #expect(bPushToA.statusCode == 404)
            let bDetail = APIFixtures.json(try await browser.api("GET", "/api/v1/projects/churn/feature-groups/customer_stats", bearer: b.key))
            #expect(bDetail["online_entities"] as? Int == 0)
        }
    }
}
