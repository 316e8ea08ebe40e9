import Foundation
@testable import Portal
import Tenancy
import Testing
import TestSupport

/// The feature store pages in a browser-like client: the catalog with its search, the entity and feature group
/// forms with their errors, a group's page with its versions and the sample online lookup, and what a reader sees.
@Suite("Feature pages", .serialized)
struct FeaturePagesTests {
    /// The feature group names linked from the catalog's table, in order.
    static func groupNames(_ html: String) -> [String] {
        guard let start = html.range(of: #"id="groups-table""#), let end = html[start.upperBound...].range(of: "</table>") else { return [] }
        let marker = #"/feature-groups/"#
        var names: [String] = []
        var rest = html[start.upperBound..<end.lowerBound]
        while let link = rest.range(of: marker) {
            names.append(String(rest[link.upperBound...].prefix { $0 != "\"" }))
            rest = rest[link.upperBound...]
        }
        return names
    }

    @Test func theCatalogListsEntitiesAndGroupsAndFiltersByTagOwnerTextAndPII() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Catalogpage", plan: "team")
            let browser = try await JobsPagesTests.owner(server, a)
            let group = try await FeaturesAPITests.define(browser, key: a.key)
            let second = try await browser.api(
                "POST", "/api/v1/projects/churn/feature-groups",
                json: #"{"name":"health_flags","entity":"customer","owner":"Risk <team>","tags":["medical"],"features":[{"name":"diagnosis","type":"category","pii":"sensitive"}]}"#,
                bearer: a.key
            )
            #expect(second.statusCode == 201, "\(second.bodyText)")
            let catalog = try await browser.get("/app/projects/churn/features")
            #expect(catalog.statusCode == 200)
            for marker in [#"id="entities-table""#, "customer_id", #"id="entity-form""#, #"id="group-form""#, #"id="feature-search""#, "Risk &lt;team&gt;",
                           #"data-pii="personal""#, #"data-pii="sensitive""#, #"href="/app/projects/churn/features?tag=crm""#, "no data yet", "v1"] {
                #expect(catalog.bodyText.contains(marker), "\(marker)")
            }
            #expect(Self.groupNames(catalog.bodyText) == ["customer_stats", "health_flags"])
            #expect(catalog.bodyText.contains(#"<option value="" selected>Any</option>"#), "no PII filter by default")
            let pushed = try await FeaturesAPITests.push(browser, key: a.key, group: group, #"[{"customer_id":"c1","event_time":"2026-02-01T09:30:00Z","age":31}]"#)
            #expect(pushed.statusCode == 200, "\(pushed.bodyText)")
            #expect(try await browser.get("/app/projects/churn/features").bodyText.contains("2026-02-01 09:30 UTC"), "freshness is the latest event time")

            let filters: [(String, [String])] = [
                ("?tag=crm", ["customer_stats"]), ("?pii=sensitive", ["health_flags"]), ("?pii=personal", ["customer_stats"]),
                ("?owner=risk", ["health_flags"]), ("?q=spend", ["customer_stats"]), ("?q=&tag=&owner=&pii=", ["customer_stats", "health_flags"]),
                ("?tag=nothing", []),
            ]
            for (query, expected) in filters {
                let page = try await browser.get("/app/projects/churn/features\(query)")
                #expect(page.statusCode == 200 && Self.groupNames(page.bodyText) == expected, "\(query)")
            }
            let none = try await browser.get("/app/projects/churn/features?tag=nothing")
            #expect(none.bodyText.contains("No feature group matches these filters.") && none.bodyText.contains(#"id="search-clear""#))
            let selected = try await browser.get("/app/projects/churn/features?pii=sensitive&q=%3Cx%3E")
            #expect(selected.bodyText.contains(#"<option value="sensitive" selected>"#) && selected.bodyText.contains(#"value="&lt;x&gt;""#))
            let bad = try await browser.get("/app/projects/churn/features?pii=secret")
            #expect(bad.statusCode == 422 && bad.bodyText.contains("Use pii=none, personal or sensitive"))
            #expect(try await browser.get("/app/projects/nope/features").statusCode == 404)
            let project = try await browser.get("/app/projects/churn")
            #expect(project.bodyText.contains(#"href="/app/projects/churn/features""#), "the project page links to its features")
        }
    }

    @Test func ownerCreatesAnEntityAndAGroupFromTheFormsWithErrorsShownByField() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Featureforms", plan: "team")
            let browser = try await JobsPagesTests.owner(server, a)
            try await DatasetsAPITests.project(browser, key: a.key)
            let empty = try await browser.get("/app/projects/churn/features")
            #expect(empty.bodyText.contains(#"id="no-entities""#) && empty.bodyText.contains(#"id="group-needs-entity""#) && !empty.bodyText.contains(#"id="group-form""#))

            let badEntity = try await browser.post(
                "/app/projects/churn/entities", [("name", "customer"), ("join_key", "1bad"), ("key_type", "string"), ("description", "Buyers <all>")]
            )
            #expect(badEntity.statusCode == 422 && badEntity.bodyText.contains("field-error") && badEntity.bodyText.contains("The join key"))
            #expect(badEntity.bodyText.contains(#"value="1bad""#) && badEntity.bodyText.contains("Buyers &lt;all&gt;"))
            let entity = try await browser.post(
                "/app/projects/churn/entities", [("name", "customer"), ("join_key", "customer_id"), ("key_type", "string"), ("description", "")]
            )
            #expect(entity.statusCode == 303 && entity.header("Location") == "/app/projects/churn/features", "\(entity.bodyText.prefix(300))")
            let catalog = try await browser.follow(entity)
            #expect(catalog.bodyText.contains(#"<option value="customer">customer</option>"#))
            let taken = try await browser.post("/app/projects/churn/entities", [("name", "customer"), ("join_key", "id"), ("key_type", "int")])
            #expect(taken.statusCode == 409 && taken.bodyText.contains("already"))

            var fields = [
                ("name", "customer_stats"), ("entity", "customer"), ("description", "Spend & age"), ("owner", "Growth"), ("tags", " crm, weekly ,"),
                ("source", "dbt"), ("event_time_column", "event_time"), ("ttl_seconds", "soon"), ("features", "age:int:personal\r\nspend:number\r\n\r\nplan:category:secret"),
            ]
            let unparsed = try await browser.post("/app/projects/churn/feature-groups", fields)
            #expect(unparsed.statusCode == 422, "\(unparsed.bodyText.prefix(300))")
            for marker in ["Line 2: &#39;number&#39; is not a type", "Line 4: &#39;secret&#39; is not a PII class", "whole number of seconds", "spend:number", "Spend &amp; age"] {
                #expect(unparsed.bodyText.contains(marker), "\(marker)")
            }
            fields[7] = ("ttl_seconds", "86400")
            fields[8] = ("features", "age:int:personal\nspend:float\ncustomer_id:string")
            let refused = try await browser.post("/app/projects/churn/feature-groups", fields)
            #expect(refused.statusCode == 422 && refused.bodyText.contains("Line 3: &#39;customer_id&#39; is the entity&#39;s join key"), "\(refused.bodyText)")
            fields[8] = ("features", "age:int:personal\nspend : float\nplan:category")
            let made = try await browser.post("/app/projects/churn/feature-groups", fields)
            #expect(made.statusCode == 303 && made.header("Location") == "/app/projects/churn/feature-groups/customer_stats", "\(made.bodyText.prefix(500))")
            let page = try await browser.follow(made)
            for marker in ["86,400 s (1 day)", ">crm</a>", ">weekly</a>", #"id="features-v1""#, "<code>spend</code>", #"data-pii="personal""#, "Growth"] {
                #expect(page.bodyText.contains(marker), "\(marker)")
            }
            let again = try await browser.post("/app/projects/churn/feature-groups", fields)
            #expect(again.statusCode == 409 && again.bodyText.contains("already"))
        }
    }

    @Test func theGroupPageShowsVersionsFreshnessThePushEndpointAndTheLookup() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Lookups", plan: "team")
            let browser = try await JobsPagesTests.owner(server, a)
            let group = try await FeaturesAPITests.define(browser, key: a.key)
            let version = try await browser.api(
                "POST", "/api/v1/projects/churn/feature-groups/customer_stats/versions",
                json: #"{"features":[{"name":"age","type":"int","pii":"personal"},{"name":"spend","type":"float","description":"30-day <spend>"},{"name":"plan","type":"category"},{"name":"vip","type":"bool"}]}"#,
                bearer: a.key
            )
            #expect(version.statusCode == 201)
            let rows = #"[{"customer_id":"c1","event_time":"2026-02-01T00:00:00Z","age":31,"spend":12.25,"plan":"pro","vip":true}]"#
            #expect(try await FeaturesAPITests.push(browser, key: a.key, group: group, rows).statusCode == 200)

            let path = "/app/projects/churn/feature-groups/customer_stats"
            let page = try await browser.get(path)
            #expect(page.statusCode == 200)
            for marker in [#"id="features-v1""#, #"id="features-v2""#, "30-day &lt;spend&gt;", "POST /api/v1/feature-groups/\(group)/push", #"id="online-entities">1<"#,
                           "2026-02-01 00:00 UTC", #"id="lookup-form""#, "never expires"] {
                #expect(page.bodyText.contains(marker), "\(marker)")
            }
            let found = try await browser.get(path + "?key=c1")
            #expect(found.bodyText.contains(#"id="lookup-table""#) && !found.bodyText.contains(#"id="lookup-missing""#))
            for marker in ["<td>31</td>", "<td>12.25</td>", "<td>pro</td>", "<td>true</td>", "2026-02-01 00:00:00 UTC", #"value="c1""#] {
                #expect(found.bodyText.contains(marker), "\(marker)")
            }
            let missing = try await browser.get(path + "?key=ghost%3Cb%3E")
            #expect(missing.bodyText.contains(#"id="lookup-missing""#) && missing.bodyText.contains("ghost&lt;b&gt;") && !missing.bodyText.contains(#"id="lookup-table""#))
            let blank = try await browser.get(path + "?key=+")
            #expect(blank.bodyText.contains(#"id="lookup-error""#))

            let expiring = try await browser.api(
                "POST", "/api/v1/projects/churn/feature-groups",
                json: #"{"name":"daily","entity":"customer","ttl_seconds":60,"features":[{"name":"visits","type":"int"}]}"#, bearer: a.key
            )
            let expiringID = try #require(APIFixtures.json(expiring)["id"] as? String)
            let old = #"[{"customer_id":"c1","event_time":"2020-01-01T00:00:00Z","visits":3}]"#
            #expect(try await FeaturesAPITests.push(browser, key: a.key, group: expiringID, old).statusCode == 200)
            let expired = try await browser.get("/app/projects/churn/feature-groups/daily?key=c1")
            #expect(expired.bodyText.contains(#"id="lookup-expired""#) && expired.bodyText.contains("expired") && expired.bodyText.contains("60 s (1 minute)"))
            #expect(try await browser.get("/app/projects/churn/feature-groups/nope").statusCode == 404)
        }
    }

    @Test func aReaderSeesTheCatalogWithoutFormsAndIsRefusedThePosts() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Featreaders", plan: "team")
            _ = try await FeaturesAPITests.define(server.browser(), key: a.key)
            _ = try await APIFixtures.member(server, a.owner, email: "viewer@featreaders.example", role: "viewer")
            let login = try await server.tenancy.authenticator.login(
                email: "viewer@featreaders.example", password: APIFixtures.password, clientAddress: "127.0.0.1", userAgent: "test"
            )
            let browser = server.browser()
            browser.setCookie("falaj_session", login.token.description)
            let catalog = try await browser.get("/app/projects/churn/features")
            #expect(catalog.statusCode == 200 && Self.groupNames(catalog.bodyText) == ["customer_stats"])
            #expect(!catalog.bodyText.contains(#"id="entity-form""#) && !catalog.bodyText.contains(#"id="group-form""#))
            let page = try await browser.get("/app/projects/churn/feature-groups/customer_stats?key=c1")
            #expect(page.statusCode == 200 && page.bodyText.contains(#"id="lookup-missing""#))
            let entity = try await browser.post("/app/projects/churn/entities", [("name", "sneaky"), ("join_key", "sneaky_id"), ("key_type", "string")])
            #expect(entity.statusCode == 403)
            let group = try await browser.post("/app/projects/churn/feature-groups", [("name", "sneaky"), ("entity", "customer"), ("features", "x:int")])
            #expect(group.statusCode == 403)
        }
    }
}
