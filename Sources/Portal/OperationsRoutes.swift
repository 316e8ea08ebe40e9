import Foundation
import HTTPTypes
import WebServer

/// `/healthz`, `/readyz` and `/metrics` for load balancers, orchestrators and Prometheus.
enum OperationsRoutes {
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment, metrics: HTTPMetrics) {
        // Process up: answered from the event loop, never touches the database.
        routes.get("/healthz", access: .open) { _ in .json(Array(#"{"status":"ok"}"#.utf8)) }

        routes.get("/readyz", access: .open) { _ in
            let checks = await environment.readiness()
            let isReady = checks.allSatisfy(\.isReady)
            let document = ReadinessDocument(status: isReady ? "ready" : "not ready", checks: checks)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let body = (try? encoder.encode(document)).map(Array.init) ?? Array(#"{"status":"not ready"}"#.utf8)
            var response = Response.json(body, status: isReady ? .ok : .serviceUnavailable)
            response.headerFields[.cacheControl] = "no-store"
            return response
        }

        routes.get("/metrics", access: .open) { _ in
            var text = PrometheusText()
            metrics.render(into: &text)
            for collect in environment.metricsCollectors { collect(&text) }
            return Response(headerFields: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .bytes(Array(text.text.utf8)))
        }
    }
}

private struct ReadinessDocument: Encodable {
    let status: String
    let checks: [ReadinessCheck]
}
