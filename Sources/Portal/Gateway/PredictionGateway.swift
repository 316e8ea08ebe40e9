import Billing
import FalajCrypto
import Foundation
import HTTPClient
import HTTPTypes
import Platform
import Residency
import Synchronization
import Tenancy
import WebServer

/// `POST /v1/predict/:deployment`: authenticates (an API key or session with `predict`), picks a variant by weight
/// (sticky when the request sends `X-Falaj-Routing-Key`: the same key always lands on the same variant while the
/// weights stand), forwards the body to one of the variant's serving replicas, tries another replica once when the
/// first cannot be reached, and answers the replica's predictions with `variant` and `request_id` added (a shadow
/// variant gets a copy of the request, answered in the background and only logged). The replica
/// checks the rows against the model's inputs (400 with each bad field). Over the plan's predictions a second: 429 with
/// Retry-After. No serving replica: 503 with Retry-After; a replica slower than ``timeout``: 504.
///
/// A deployment's variants and replica addresses are cached per tenant for ``cacheSeconds``, so a steady stream of
/// predictions reads the database about once a second.
final class PredictionGateway: Sendable {
    /// How long a forwarded prediction may take.
    static let timeout: Duration = .seconds(10)
    /// How long a deployment's routing table is reused.
    static let cacheSeconds = 1.0
    /// The largest prediction body accepted.
    static let maximumBodySize = 16 << 20

    private let forwarder = ReplicaForwarder(
        client: HTTPClient(configuration: HTTPClient.Configuration(connectTimeout: .seconds(2), timeout: .seconds(10), threadCount: 32)))
    private let routes = Mutex<[String: (loaded: ContinuousClock.Instant, deployment: Deployment)]>([:])
    private let limiter = RateLimiter()
    private let shadowsInFlight = Atomic<Int>(0)
    /// Copies to shadow variants that may wait for their answers at once.
    static let maximumShadowsInFlight = 64

    /// The one gateway of the process (its HTTP client and routing cache are shared by the API and the portal).
    static let shared = PredictionGateway()

    /// Answers one prediction request.
    func predict(_ request: Request, platform: PlatformServices) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.maximumBodySize)
        let answer = try await forward(
            try request.segment("deployment"), body: body, routingKey: request.headerFields[HTTPField.Name("X-Falaj-Routing-Key")!], requestID: request.id,
            platform: platform, context: try request.requireContext())
        let type = answer.status == 200 ? "application/json" : "application/problem+json"
        return Response(status: HTTPResponse.Status(code: answer.status), headerFields: [.contentType: type], body: .bytes(answer.body))
    }

    /// Forwards `body` to a replica of deployment `name` (see the type's documentation): the replica's status and body,
    /// with the variant and request id added to a successful answer.
    /// - Throws: `HTTPError` 503 (no serving replica, or stopped), 504 (timed out), 502 (no replica reachable).
    func forward(
        _ name: String, body: [UInt8], routingKey: String?, requestID: String, platform: PlatformServices, context: RequestContext
    ) async throws -> (status: Int, body: [UInt8]) {
        let rate = PlanLimits.forPlan(context.tenant.plan).predictionsPerSecond
        if let wait = limiter.take(context.tenantID.rawValue, rate: rate) {
            throw HTTPError(
                .tooManyRequests, "The \(context.tenant.plan) plan answers \(rate) predictions a second; try again in \(wait) s or upgrade the plan",
                headerFields: [HTTPField.Name("Retry-After")!: String(wait)])
        }
        let deployment = try await routingTable(name, platform: platform, context: context)
        guard deployment.state == "active" else { throw HTTPError(.serviceUnavailable, "Deployment '\(name)' is stopped") }
        let variant = Self.choose(deployment.variants, key: routingKey)
        let started = ContinuousClock.now
        func log(_ status: Int, _ answer: ReplicaAnswer? = nil) {
            var record = Self.record(status, answer, started: started, requestID: requestID, variant: variant, of: deployment, tenant: context.tenantID)
            if deployment.payloadSamplePercent > 0, Double.random(in: 0..<100) < deployment.payloadSamplePercent {
                record.payload = Self.payload(body, answer: answer, excluding: deployment.excludedInputs)
            }
            platform.predictionLog.record(record)
        }
        for shadow in deployment.variants where shadow.isShadow {
            mirror(body, to: shadow, deployment: deployment, requestID: requestID, platform: platform, tenant: context.tenantID)
        }
        let candidates = Array(variant.replicas.filter(\.isServing).compactMap(\.url).shuffled().prefix(2))
        guard !candidates.isEmpty else {
            log(503)  // the variant's failure: its canary's guardrail and its error rate count it
            throw HTTPError(
                .serviceUnavailable, "No replica of '\(name)' (variant \(variant.name)) is ready yet; try again shortly",
                headerFields: [HTTPField.Name("Retry-After")!: "5"])
        }
        var lastFailure = ""
        for url in candidates {
            do {
                let answer = try await forwarder.post(url, body: body, timeout: Self.timeout)
                log(answer.status, answer)
                return Self.response(answer, variant: variant.name, requestID: requestID)
            } catch .timedOut {
                log(504)
                throw HTTPError(.gatewayTimeout, "The model did not answer within \(Self.timeout.components.seconds) s")
            } catch .unreachable(let message) {
                lastFailure = message  // cannot reach this replica: try the next one once
                invalidate(tenant: context.tenantID, name: name)
            }
        }
        log(502)
        throw HTTPError(.badGateway, "No replica of '\(name)' could be reached: \(lastFailure)")
    }

    /// Sends a copy of a request to a shadow variant in the background and logs its answer under
    /// `<request id>~<variant>` (sharing the request's feedback), never returning it. At most ``maximumShadowsInFlight``
    /// copies wait at once; beyond that a copy is skipped, so a slow shadow never holds the gateway up.
    private func mirror(_ body: [UInt8], to shadow: DeploymentVariant, deployment: Deployment, requestID: String, platform: PlatformServices, tenant: TenantID) {
        let started = ContinuousClock.now
        @Sendable func log(_ status: Int, _ answer: ReplicaAnswer? = nil) {
            platform.predictionLog.record(
                Self.record(
                    status, answer, started: started, requestID: requestID + "~" + shadow.name, variant: shadow, of: deployment, tenant: tenant, shadowOf: requestID))
        }
        guard let url = shadow.replicas.filter(\.isServing).compactMap(\.url).randomElement() else { return log(503) }
        guard shadowsInFlight.add(1, ordering: .relaxed).newValue <= Self.maximumShadowsInFlight else {
            shadowsInFlight.subtract(1, ordering: .relaxed)
            return
        }
        let forwarder = forwarder
        Task {
            defer { shadowsInFlight.subtract(1, ordering: .relaxed) }
            do {
                let answer = try await forwarder.post(url, body: body, timeout: Self.timeout)
                log(answer.status, answer)
            } catch ReplicaFailure.timedOut {
                log(504)
            } catch {
                log(502)
            }
        }
    }

    /// The prediction log's record of an answer: how the variant's replica answered (the replica's headers carry the
    /// first row's prediction) and how long it took since `started`.
    static func record(
        _ status: Int, _ answer: ReplicaAnswer?, started: ContinuousClock.Instant, requestID: String, variant: DeploymentVariant, of deployment: Deployment,
        tenant: TenantID, shadowOf: String? = nil
    ) -> PredictionRecord {
        let elapsed = (ContinuousClock.now - started).components
        return PredictionRecord(
            tenant: tenant, requestID: requestID, deploymentID: deployment.id, variant: variant.name, modelID: variant.modelID, version: variant.version,
            status: status, latencyMs: Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15, rows: answer?.rows ?? 0, label: answer?.label,
            value: answer?.value, shadowOf: shadowOf)
    }

    /// A sampled request's stored payload: its rows without the excluded inputs and the answer when it is JSON; nil
    /// when the request is not JSON rows (nothing is stored).
    static func payload(_ body: [UInt8], answer: ReplicaAnswer?, excluding excluded: Set<String>) -> (request: String, response: String?, excluded: [String])? {
        guard let (request, removed) = Deployments.redacted(body, excluding: excluded) else { return nil }
        let response = answer.flatMap { answer in
            (try? JSONSerialization.jsonObject(with: Data(answer.body))) != nil ? String(decoding: answer.body, as: UTF8.self) : nil
        }
        return (request, response, removed)
    }

    /// The replica's answer, with the variant and request id added to a successful one.
    static func response(_ answer: ReplicaAnswer, variant: String, requestID: String) -> (status: Int, body: [UInt8]) {
        guard answer.status == 200, answer.body.first == UInt8(ascii: "{") else { return (answer.status, answer.body) }
        let prefix = Array(#"{"variant":\#(JSONText.quoted(variant)),"request_id":\#(JSONText.quoted(requestID)),"#.utf8)
        return (200, prefix + answer.body.dropFirst())
    }

    /// The variant a request goes to: by a hash of `key` when given (stable), else at random, by weight.
    static func choose(_ variants: [DeploymentVariant], key: String?) -> DeploymentVariant {
        let point: Int
        if let key, !key.isEmpty {
            let digest = SHA256.hash(Array(key.utf8))
            point = Int((UInt32(digest[0]) << 8 | UInt32(digest[1])) % 100)
        } else {
            point = Int.random(in: 0..<100)
        }
        var cumulative = 0
        for variant in variants where variant.weight > 0 {
            cumulative += variant.weight
            if point < cumulative { return variant }
        }
        return variants.last { $0.weight > 0 } ?? variants[0]
    }

    private func routingTable(_ name: String, platform: PlatformServices, context: RequestContext) async throws -> Deployment {
        let key = context.tenantID.rawValue.uuidString + "/" + name
        let now = ContinuousClock.now
        if let cached = routes.withLock({ $0[key] }), now - cached.loaded < .seconds(Self.cacheSeconds) { return cached.deployment }
        let deployment = try await platform.deployments.route(name, context: context)
        routes.withLock { $0[key] = (now, deployment) }
        return deployment
    }

    private func invalidate(tenant: TenantID, name: String) {
        _ = routes.withLock { $0.removeValue(forKey: tenant.rawValue.uuidString + "/" + name) }
    }

}
