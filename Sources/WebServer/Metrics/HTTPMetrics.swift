public import HTTPTypes
public import Logging
import Foundation
import Synchronization

/// Request counts and latency histograms per route, for `/metrics` (Prometheus text format).
///
/// Series are keyed by the route pattern, never the raw path, so cardinality stays bounded;
/// unmatched requests count under the route `unmatched`.
public final class HTTPMetrics: RequestObserver, Sendable {
    private struct Key: Hashable {
        let method: String
        let route: String
    }

    private struct Series {
        var countsByStatus: [Int: Int] = [:]
        var bucketCounts: [Int]
        var sum: Double = 0
        var count = 0
    }

    /// Histogram bucket upper bounds in seconds.
    public static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private let series = Mutex<[Key: Series]>([:])

    /// Empty metrics.
    public init() {}

    /// Records one finished request.
    public func requestFinished(_ request: Request, status: HTTPResponse.Status, duration: Duration) {
        let seconds = Self.seconds(duration)
        let key = Key(method: request.method.rawValue, route: request.routePattern ?? "unmatched")
        let bucket = Self.buckets.firstIndex { seconds <= $0 } ?? Self.buckets.count
        series.withLock { all in
            var entry = all[key] ?? Series(bucketCounts: Array(repeating: 0, count: Self.buckets.count + 1))
            entry.countsByStatus[status.code, default: 0] += 1
            entry.bucketCounts[bucket] += 1
            entry.sum += seconds
            entry.count += 1
            all[key] = entry
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// Appends the request series to `text`.
    public func render(into text: inout PrometheusText) {
        let snapshot = series.withLock { $0 }.sorted { ($0.key.route, $0.key.method) < ($1.key.route, $1.key.method) }
        text.header("falaj_http_requests_total", type: "counter", help: "HTTP requests by route, method and status.")
        for (key, entry) in snapshot {
            for (status, count) in entry.countsByStatus.sorted(by: { $0.key < $1.key }) {
                text.sample("falaj_http_requests_total", labels: ["method": key.method, "route": key.route, "status": String(status)], value: Double(count))
            }
        }
        text.header("falaj_http_request_duration_seconds", type: "histogram", help: "Time from routing to response, by route.")
        for (key, entry) in snapshot {
            var cumulative = 0
            for (index, bound) in Self.buckets.enumerated() {
                cumulative += entry.bucketCounts[index]
                text.sample(
                    "falaj_http_request_duration_seconds_bucket",
                    labels: ["method": key.method, "route": key.route, "le": PrometheusText.format(bound)],
                    value: Double(cumulative)
                )
            }
            text.sample(
                "falaj_http_request_duration_seconds_bucket",
                labels: ["method": key.method, "route": key.route, "le": "+Inf"],
                value: Double(entry.count)
            )
            text.sample("falaj_http_request_duration_seconds_sum", labels: ["method": key.method, "route": key.route], value: entry.sum)
            text.sample("falaj_http_request_duration_seconds_count", labels: ["method": key.method, "route": key.route], value: Double(entry.count))
        }
    }
}

/// Builds a Prometheus text exposition (format 0.0.4).
public struct PrometheusText: Sendable {
    /// The text so far.
    public private(set) var text = ""

    /// An empty exposition.
    public init() {}

    /// Writes the `# HELP` and `# TYPE` lines of a metric family.
    public mutating func header(_ name: String, type: String, help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    /// Writes one sample line; label values are escaped.
    public mutating func sample(_ name: String, labels: [String: String] = [:], value: Double) {
        text += name
        if !labels.isEmpty {
            let rendered = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(Self.escape($0.value))\"" }
            text += "{" + rendered.joined(separator: ",") + "}"
        }
        text += " " + Self.format(value) + "\n"
    }

    /// A gauge family with one unlabeled sample.
    public mutating func gauge(_ name: String, help: String, value: Double) {
        header(name, type: "gauge", help: help)
        sample(name, value: value)
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Integers without a fraction, others in Swift's shortest form.
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// Logs one line per finished request: request id, method, path, status and duration.
public struct AccessLog: RequestObserver {
    let logger: Logging.Logger

    /// Logs to `logger` at `info` level.
    public init(logger: Logging.Logger) { self.logger = logger }

    /// See ``RequestObserver``.
    public func requestFinished(_ request: Request, status: HTTPResponse.Status, duration: Duration) {
        logger.info(
            "request",
            metadata: [
                "request-id": "\(request.id)", "method": "\(request.method.rawValue)", "path": "\(request.path)",
                "status": "\(status.code)", "duration-ms": "\(String(format: "%.3f", HTTPMetrics.seconds(duration) * 1000))",
                "remote": "\(request.remoteAddress)",
            ]
        )
    }
}
