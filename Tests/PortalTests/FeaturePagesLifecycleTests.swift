import Foundation
@testable import Portal
import Tenancy
import Testing
import TestSupport

/// The feature store's batch side in the pages: a dataset ingested from a group's page with its statistics and
/// lineage, the materialise and recompute buttons, feature services saved and deleted on the catalog, the training
/// set form (its errors, and the new version's page with the lineage), and a reader refused every one of these forms.
@Suite("Feature pages: lifecycle", .serialized)
struct FeaturePagesLifecycleTests {
    /// The group's page.
    static let group = "/app/projects/churn/feature-groups/customer_stats"
    /// Three rows of two customers, one column per feature of `customer_stats`.
    static let history = "customer_id,event_time,age,spend,plan\nc1,2026-01-01T00:00:00Z,30,10.5,free\nc1,2026-02-01T00:00:00Z,31,12.5,pro\n"
        + "c2,2026-01-15T00:00:00Z,45,1.5,free\n"
    /// Entity rows with a label, at times before, between and after the history's.
    static let labels = "customer_id,event_time,churned\nc1,2026-01-20T00:00:00Z,0\nc1,2026-03-01T00:00:00Z,1\nc2,2026-01-01T00:00:00Z,1\n"

    /// Follows a redirect as a browser does: without the `#fragment`.
    static func follow(_ browser: PortalBrowser, _ response: HTTPTestResponse) async throws -> HTTPTestResponse {
        let location = try #require(response.header("Location"))
        return try await browser.get(String(location.prefix { $0 != "#" }))
    }

    /// An owner's browser in a tenant with group `customer_stats` (its id last) and dataset `history` (3 rows).
    static func setUp(_ server: PortalTestServer, name: String) async throws -> (PortalBrowser, APITestTenant, String) {
        let a = try await APIFixtures.tenant(server, name: name, plan: "team")
        let browser = try await JobsPagesTests.owner(server, a)
        let group = try await FeaturesAPITests.define(browser, key: a.key)
        try await FeatureLifecycleAPITests.upload(browser, key: a.key, "history", history, columns: "plan:category")
        return (browser, a, group)
    }

    @Test func aDatasetIngestedFromTheFormShowsItsStatisticsAndLineage() async throws {
        try await PortalTestServer.with { server in
            let (browser, a, _) = try await Self.setUp(server, name: "Ingestpage")
            let before = try await browser.get(Self.group)
            #expect(before.statusCode == 200)
            for marker in [#"id="no-statistics""#, #"id="no-ingestions""#, #"id="no-training-sets""#, #"id="ingest-form""#, #"<option value="history">"#,
                           #"id="ingest-materialize" type="checkbox" name="materialize" value="1" checked"#, #"id="materialized-at">never<"#] {
                #expect(before.bodyText.contains(marker), "\(marker)")
            }
            let badVersion = try await browser.post(Self.group + "/ingest", [("dataset", "history"), ("version", "two"), ("materialize", "1")])
            #expect(badVersion.statusCode == 422 && badVersion.bodyText.contains("whole number") && badVersion.bodyText.contains(#"value="two""#))
            let missing = try await browser.post(Self.group + "/ingest", [("dataset", "history"), ("version", "9")])
            #expect(missing.statusCode == 404 && missing.bodyText.contains(#"id="ingest-error""#) && missing.bodyText.contains("no version 9"))
            #expect(!missing.bodyText.contains(#"value="1" checked"#), "the unchecked box stays unchecked")
            try await FeatureLifecycleAPITests.upload(browser, key: a.key, "odd", "customer_id,when\nc1,later\n")
            let odd = try await browser.post(Self.group + "/ingest", [("dataset", "odd"), ("materialize", "1")])
            #expect(odd.statusCode == 422 && odd.bodyText.contains(#"id="ingest-columns-error""#), "\(odd.bodyText.prefix(300))")

            let ingested = try await browser.post(Self.group + "/ingest", [("dataset", "history"), ("version", ""), ("materialize", "1")])
            #expect(ingested.statusCode == 303, "\(ingested.bodyText.prefix(300))")
            #expect(ingested.header("Location")?.hasPrefix(Self.group + "?done=ingested&dataset=history&version=1&rows=3&skipped=0&updates=2") == true)
            let page = try await Self.follow(browser, ingested)
            for marker in [
                "Ingested history v1: 3 rows written; statistics recomputed; 2 online values updated.", #"id="statistics-v1""#, "<code>spend</code>",
                "svg class=\"histogram\"", #"href="/app/projects/churn/datasets/history/versions/1">history v1</a>"#, #"id="rows-since">0<"#, "a member",
                #"id="online-entities">2<"#,
            ] {
                #expect(page.bodyText.contains(marker), "\(marker)")
            }
            #expect(!page.bodyText.contains(#"id="materialized-at">never<"#) && !page.bodyText.contains(#"class="badge warn" title="Rows were pushed"#))
            let spoofed = try await browser.get(Self.group + "?done=ingested&dataset=%3Cb%3Eevil%20text&rows=-4")
            #expect(spoofed.bodyText.contains("Ingested the dataset: 0 rows written") && !spoofed.bodyText.contains("evil"))
        }
    }

    @Test func theMaterialiseAndRecomputeButtonsReportWhatTheyDid() async throws {
        try await PortalTestServer.with { server in
            let (browser, a, groupID) = try await Self.setUp(server, name: "Materialpage")
            _ = try await browser.get(Self.group)
            let offline = try await browser.post(Self.group + "/ingest", [("dataset", "history")])
            let quiet = try await Self.follow(browser, offline)
            #expect(quiet.bodyText.contains("the online store was not loaded") && quiet.bodyText.contains(#"id="rows-since">3<"#), "\(quiet.bodyText.prefix(200))")

            let materialized = try await browser.post(Self.group + "/materialize", [])
            #expect(materialized.statusCode == 303 && materialized.header("Location") == Self.group + "?done=materialized&rows=3&updates=2#lineage")
            let page = try await Self.follow(browser, materialized)
            #expect(page.bodyText.contains("Materialisation done: 3 offline rows read, 2 online values updated.") && page.bodyText.contains(#"id="rows-since">0<"#))
            let full = try await Self.follow(browser, try await browser.post(Self.group + "/materialize", [("full", "1")]))
            #expect(full.bodyText.contains("Full materialisation done: 3 offline rows read"), "\(full.bodyText.prefix(200))")

            let pushed = try await FeaturesAPITests.push(browser, key: a.key, group: groupID, #"[{"customer_id":"c3","event_time":"2026-03-01T00:00:00Z","age":50,"spend":2.5,"plan":"pro"}]"#)
            #expect(pushed.statusCode == 200)
            let stale = try await browser.get(Self.group)
            #expect(stale.bodyText.contains(#"<span class="badge warn" title="Rows were pushed after these were computed">stale</span>"#))
            #expect(stale.bodyText.contains("· 3 rows ·"))
            let recomputed = try await browser.post(Self.group + "/statistics", [])
            #expect(recomputed.statusCode == 303 && recomputed.header("Location") == Self.group + "?done=statistics&versions=1#statistics")
            let fresh = try await Self.follow(browser, recomputed)
            #expect(fresh.bodyText.contains("Statistics recomputed for 1 version.") && fresh.bodyText.contains("· 4 rows ·"))
            #expect(!fresh.bodyText.contains(">stale</span>"))
            #expect(try await browser.post("/app/projects/churn/feature-groups/nope/materialize", []).statusCode == 404)
        }
    }

    @Test func featureServicesAreSavedAndDeletedOnTheCatalog() async throws {
        try await PortalTestServer.with { server in
            let (browser, _, _) = try await Self.setUp(server, name: "Servicepage")
            let catalog = try await browser.get("/app/projects/churn/features")
            #expect(catalog.bodyText.contains(#"id="no-services""#) && catalog.bodyText.contains(#"id="service-form""#))
            let features = ("features", "customer_stats:age\r\n\r\nage-only\r\n")
            let refused = try await browser.post("/app/projects/churn/feature-services", [("name", "Churn Model"), ("description", "For <churn>"), features])
            #expect(refused.statusCode == 422, "\(refused.bodyText.prefix(300))")
            for marker in ["field-error", #"value="Churn Model""#, "For &lt;churn&gt;"] { #expect(refused.bodyText.contains(marker), "\(marker)") }
            let unknown = try await browser.post(
                "/app/projects/churn/feature-services", [("name", "churn-model"), ("features", "customer_stats:age\nage-only\n")]
            )
            #expect(unknown.statusCode == 422 && unknown.bodyText.contains("Line 2: Name a feature as group:feature"), "\(unknown.bodyText.prefix(300))")
            let saved = try await browser.post(
                "/app/projects/churn/feature-services", [("name", "churn-model"), ("description", "Weekly model"), ("features", "customer_stats:age\ncustomer_stats:plan")]
            )
            #expect(saved.statusCode == 303 && saved.header("Location") == "/app/projects/churn/features?done=service-saved#services")
            let listed = try await Self.follow(browser, saved)
            for marker in ["The feature service was saved.", #"id="services-table""#, #"data-service="churn-model""#, "<code>customer_stats:plan</code>",
                           "Weekly model", #"action="/app/projects/churn/feature-services/churn-model/delete#services""#, #"<option value="churn-model">churn-model</option>"#] {
                #expect(listed.bodyText.contains(marker), "\(marker)")
            }
            let deleted = try await browser.post("/app/projects/churn/feature-services/churn-model/delete", [])
            #expect(deleted.statusCode == 303 && deleted.header("Location") == "/app/projects/churn/features?done=service-deleted#services")
            let after = try await Self.follow(browser, deleted)
            #expect(after.bodyText.contains("The feature service was deleted.") && after.bodyText.contains(#"id="no-services""#))
            #expect(try await browser.post("/app/projects/churn/feature-services/churn-model/delete", []).statusCode == 404)
        }
    }

    @Test func theTrainingSetFormBuildsAVersionWhosePageShowsItsLineage() async throws {
        try await PortalTestServer.with { server in
            let (browser, a, _) = try await Self.setUp(server, name: "Trainpage")
            #expect(try await browser.api("POST", "/api/v1/projects/churn/feature-groups/customer_stats/ingest", json: #"{"dataset":"history"}"#, bearer: a.key).statusCode == 200)
            try await FeatureLifecycleAPITests.upload(browser, key: a.key, "labels", Self.labels)
            let catalog = try await browser.get("/app/projects/churn/features")
            #expect(catalog.bodyText.contains(#"id="training-form""#) && catalog.bodyText.contains(#"<option value="" selected>—</option>"#))
            #expect(catalog.bodyText.contains(#"id="training-timestamp-column" name="timestamp_column" type="text" value="event_time""#))

            var fields = [
                ("entity_dataset", "labels"), ("entity_version", ""), ("timestamp_column", "churned"), ("features", "customer_stats:age\ncustomer_stats:plan"),
                ("feature_service", ""), ("output", "churn-train"),
            ]
            let wrongColumn = try await browser.post("/app/projects/churn/training-sets", fields)
            #expect(wrongColumn.statusCode == 422 && wrongColumn.bodyText.contains("it must be a timestamp"), "\(wrongColumn.bodyText.prefix(300))")
            #expect(wrongColumn.bodyText.contains(#"<option value="labels" selected>"#) && wrongColumn.bodyText.contains(#"value="churned""#))
            fields[2] = ("timestamp_column", "event_time")
            fields[3] = ("features", "customer_stats:age\ncustomer_stats:ghost")
            let ghost = try await browser.post("/app/projects/churn/training-sets", fields)
            #expect(ghost.statusCode == 422 && ghost.bodyText.contains("has no feature &#39;ghost&#39;"), "\(ghost.bodyText.prefix(300))")
            fields[1] = ("entity_version", "first")
            let version = try await browser.post("/app/projects/churn/training-sets", fields)
            #expect(version.statusCode == 422 && version.bodyText.contains("whole number"))
            fields[1] = ("entity_version", "1")
            fields[3] = ("features", "customer_stats:age\n customer_stats:plan \n")
            let built = try await browser.post("/app/projects/churn/training-sets", fields)
            #expect(built.statusCode == 303 && built.header("Location") == "/app/projects/churn/datasets/churn-train/versions/1", "\(built.bodyText.prefix(300))")
            let page = try await browser.follow(built)
            for marker in [
                #"id="version-lineage""#, "Built as a training set from", #"href="/app/projects/churn/datasets/labels/versions/1">labels v1</a>"#,
                "timestamp column <code>event_time</code>", #"id="lineage-features""#, "<code>customer_stats:plan</code>", "<td>v1</td>", #"id="preview-table""#,
            ] {
                #expect(page.bodyText.contains(marker), "\(marker)")
            }
            #expect(!page.bodyText.contains("feature service <a"), "no service was named")
            let upload = try await browser.get("/app/projects/churn/datasets/labels/versions/1")
            #expect(upload.statusCode == 200 && !upload.bodyText.contains(#"id="version-lineage""#), "an upload has no lineage")

            _ = try await browser.get("/app/projects/churn/features")
            _ = try await browser.post("/app/projects/churn/feature-services", [("name", "churn-model"), ("features", "customer_stats:*")])
            fields[3] = ("features", "")
            fields[4] = ("feature_service", "churn-model")
            let viaService = try await browser.follow(try await browser.post("/app/projects/churn/training-sets", fields))
            #expect(viaService.bodyText.contains(#"feature service <a href="/app/projects/churn/features#services">churn-model</a>"#), "\(viaService.bodyText.prefix(300))")
            fields[3] = ("features", "customer_stats:age")
            let both = try await browser.post("/app/projects/churn/training-sets", fields)
            #expect(both.statusCode == 422 && both.bodyText.contains("Name either features or a feature service, not both"))
            #expect(both.bodyText.contains(#"<option value="churn-model" selected>"#))
            let lineage = try await browser.get(Self.group)
            #expect(lineage.bodyText.contains(#"href="/app/projects/churn/datasets/churn-train/versions/2">churn-train v2</a>"#))
            #expect(lineage.bodyText.contains(#"href="/app/projects/churn/datasets/churn-train/versions/1">churn-train v1</a>"#))
        }
    }

    @Test func aReaderSeesStatisticsAndLineageButNoFormsAndIsRefusedEveryPost() async throws {
        try await PortalTestServer.with { server in
            let (_, a, _) = try await Self.setUp(server, name: "Lifereaders")
            _ = try await APIFixtures.member(server, a.owner, email: "viewer@lifereaders.example", role: "viewer")
            let login = try await server.tenancy.authenticator.login(
                email: "viewer@lifereaders.example", password: APIFixtures.password, clientAddress: "127.0.0.1", userAgent: "test"
            )
            let browser = server.browser()
            browser.setCookie("falaj_session", login.token.description)
            let page = try await browser.get(Self.group)
            #expect(page.statusCode == 200 && page.bodyText.contains(#"id="materialization""#) && page.bodyText.contains(#"id="no-statistics""#))
            for form in [#"id="ingest-form""#, #"id="materialize-form""#, #"id="statistics-form""#, #"id="catalog-form""#] {
                #expect(!page.bodyText.contains(form), "\(form)")
            }
            let catalog = try await browser.get("/app/projects/churn/features")
            #expect(catalog.statusCode == 200 && catalog.bodyText.contains(#"id="no-services""#))
            #expect(!catalog.bodyText.contains(#"id="service-form""#) && !catalog.bodyText.contains(#"id="training-form""#))
            let posts: [(String, [(String, String)])] = [
                (Self.group + "/statistics", []), (Self.group + "/materialize", [("full", "1")]), (Self.group + "/ingest", [("dataset", "history")]),
                (Self.group + "/catalog", [("owner", "sneaky")]),
                ("/app/projects/churn/feature-services", [("name", "sneaky"), ("features", "customer_stats:age")]),
                ("/app/projects/churn/feature-services/sneaky/delete", []),
                ("/app/projects/churn/training-sets", [("entity_dataset", "history"), ("features", "customer_stats:age"), ("output", "sneaky")]),
            ]
            for (path, fields) in posts {
                #expect(try await browser.post(path, fields).statusCode == 403, "\(path)")
            }
        }
    }

    @Test func theCatalogDetailsFormChangesOwnerTagsAndTTLAndShowsItsErrors() async throws {
        try await PortalTestServer.with { server in
            let (browser, _, _) = try await Self.setUp(server, name: "Catalogedit")
            let page = try await browser.get(Self.group)
            #expect(page.bodyText.contains(#"id="catalog-form""#) && page.bodyText.contains(#"value="crm, weekly""#), "the form holds the current tags")
            let refused = try await browser.post(Self.group + "/catalog", [("description", "d"), ("owner", "Risk"), ("tags", "risk"), ("source", ""), ("ttl", "soon")])
            #expect(refused.statusCode == 422 && refused.bodyText.contains("whole seconds") && refused.bodyText.contains(#"id="catalog-edit" open"#))
            #expect(refused.bodyText.contains(#"value="Risk""#), "a refused form keeps what was typed")
            let saved = try await browser.post(Self.group + "/catalog", [("description", "Customer aggregates"), ("owner", "Risk <team>"), ("tags", "risk, daily"), ("source", "dbt"), ("ttl", "86400")])
            #expect(saved.statusCode == 303 && saved.header("Location") == Self.group + "?done=catalog")
            let after = try await browser.follow(saved)
            for marker in [#"id="catalog-saved""#, "Risk &lt;team&gt;", "Customer aggregates", ">daily<", "dbt", "86,400 s (1 day)"] {
                #expect(after.bodyText.contains(marker), "\(marker)")
            }
            let cleared = try await browser.post(Self.group + "/catalog", [("description", ""), ("owner", ""), ("tags", ""), ("source", ""), ("ttl", "")])
            #expect(cleared.statusCode == 303)
            let clearedPage = try await browser.follow(cleared)
            #expect(clearedPage.bodyText.contains("<dt>Time to live</dt><dd>never expires</dd>") && !clearedPage.bodyText.contains("Risk &lt;team&gt;"))
        }
    }
}
