import Foundation
import Testing

/// `falaj serve` as a user starts it: a real process, an embedded Postgres, real HTTP over loopback.
@Suite(.serialized) struct ServeEndToEndTests {
    @Test func landingPageHealthReadinessAndMetrics() async throws {
        let falaj = try await FalajProcess()
        defer { falaj.stop() }

        let landing = try await curl([falaj.baseURL + "/"])
        #expect(landing.status == 200)
        #expect(landing.headers.lowercased().contains("content-type: text/html"))
        #expect(landing.body.contains("me-central-1"))
        #expect(landing.body.contains("eu-west-1"))
        #expect(landing.headers.contains("X-Request-Id:"))

        let health = try await curl([falaj.baseURL + "/healthz"])
        #expect(health.status == 200)

        let ready = try await curl([falaj.baseURL + "/readyz"])
        #expect(ready.status == 200, "readyz: \(ready.body)")
        #expect(ready.body.contains(#""status":"ready""#))

        let metrics = try await curl([falaj.baseURL + "/metrics"])
        #expect(metrics.status == 200)
        #expect(metrics.body.contains(#"falaj_http_requests_total{method="GET",route="/",status="200"} 1"#))
        #expect(metrics.body.contains("falaj_http_request_duration_seconds_bucket"))
        #expect(metrics.body.contains("falaj_http_open_connections"))
        #expect(metrics.body.contains("falaj_db_pool_connections"))
    }

    @Test func errorsAreHTMLForPeopleAndProblemJSONForTheAPI() async throws {
        let falaj = try await FalajProcess()
        defer { falaj.stop() }
        let page = try await curl([falaj.baseURL + "/no/such/page"])
        #expect(page.status == 404)
        #expect(page.body.contains("<h1>Not Found</h1>"))
        #expect(page.body.contains("Request id"))
        let api = try await curl([falaj.baseURL + "/api/v1/nothing"])
        #expect(api.status == 404)
        #expect(api.headers.contains("application/problem+json"))
        #expect(api.body.contains(#""status":404"#))
        let method = try await curl(["-X", "DELETE", falaj.baseURL + "/healthz"])
        #expect(method.status == 405)
        #expect(method.headers.contains("Allow: GET, HEAD"))
    }

    @Test func staticFilesHaveValidatorsAndNoTraversal() async throws {
        let falaj = try await FalajProcess()
        defer { falaj.stop() }
        let css = try await curl([falaj.baseURL + "/static/css/falaj.css"])
        #expect(css.status == 200)
        #expect(css.headers.contains("Content-Type: text/css"))
        let etagLine = css.headers.split(separator: "\n").first { $0.lowercased().hasPrefix("etag:") }
        let etag = try #require(etagLine.map { String($0.dropFirst(5)).trimmingCharacters(in: .whitespaces) })
        let revalidated = try await curl(["-H", "If-None-Match: \(etag)", falaj.baseURL + "/static/css/falaj.css"])
        #expect(revalidated.status == 304)
        #expect(revalidated.body.isEmpty)
        for path in ["/static/../Package.swift", "/static/%2e%2e/Package.swift", "/static/css/..%2f..%2fPackage.swift", "/static/.hidden"] {
            let attempt = try await curl(["--path-as-is", falaj.baseURL + path])
            #expect(attempt.status == 404 || attempt.status == 400, "\(path) gave \(attempt.status)")
            #expect(!attempt.body.contains("swift-tools-version"))
        }
    }

    @Test func browserRendersTheLandingPage() async throws {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let browser = try #require(chromium, "chromium is installed by make test")
        let falaj = try await FalajProcess()
        defer { falaj.stop() }
        let dom = try await runCommand(
            browser,
            ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", falaj.baseURL + "/"],
            timeout: .seconds(60)
        )
        #expect(dom.output.contains("<table class=\"regions\">"))
        #expect(dom.output.contains("UAE (Dubai)"))
        let screenshot = falaj.dataDirectory + "-landing.png"
        defer { try? FileManager.default.removeItem(atPath: screenshot) }
        _ = try await runCommand(
            browser,
            ["--headless", "--no-sandbox", "--disable-gpu", "--screenshot=\(screenshot)", "--window-size=1280,900", falaj.baseURL + "/"],
            timeout: .seconds(60)
        )
        let size = (try FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? Int) ?? 0
        #expect(size > 20_000, "a rendered page, not a blank one")
    }

    @Test func twoServersRunSideBySideAndStopCleanly() async throws {
        let first = try await FalajProcess()
        let second = try await FalajProcess()
        #expect(first.port != second.port)
        #expect(try await curl([first.baseURL + "/readyz"]).status == 200)
        #expect(try await curl([second.baseURL + "/readyz"]).status == 200)
        #expect(first.stop() == 0)
        #expect(try await curl([second.baseURL + "/readyz"]).status == 200)
        #expect(second.stop() == 0)
        // The embedded clusters stopped with their servers.
        for server in [first, second] {
            let pidFile = server.dataDirectory + "/postgres/postmaster.pid"
            #expect(!FileManager.default.fileExists(atPath: pidFile), "postgres still running for \(server.dataDirectory)")
        }
    }

    @Test func selfSignedTLS() async throws {
        let falaj = try await FalajProcess(arguments: ["--tls-self-signed"])
        defer { falaj.stop() }
        #expect(falaj.baseURL.hasPrefix("https://"))
        let certificate = falaj.dataDirectory + "/tls/dev-cert.pem"
        let verified = try await curl(["--cacert", certificate, falaj.baseURL + "/healthz"])
        #expect(verified.status == 200)
        let tls11 = try await curl(["-k", "--tls-max", "1.1", falaj.baseURL + "/healthz"])
        #expect(tls11.status == 0, "a TLS 1.1 client is refused")
    }
}
