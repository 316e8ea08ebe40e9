import Foundation
import Synchronization
import Testing
import TestSupport

@testable import Portal

/// The gateway's per-tenant rate: token buckets (unit, on a clock the test moves) and the plan's limit through the API.
@Suite("Gateway limits", .serialized)
struct GatewayLimitsTests {
    @Test func aBucketAllowsABurstOfTwiceTheRateThenRefillsAtTheRate() {
        let now = Mutex(ContinuousClock.now)
        let limiter = RateLimiter(clock: { now.withLock { $0 } })
        let (tenant, other) = (UUID(), UUID())
        #expect((0..<20).allSatisfy { _ in limiter.take(tenant, rate: 10) == nil }, "a burst of 2 × 10")
        #expect(limiter.take(tenant, rate: 10) == 1, "the 21st waits")
        #expect(limiter.take(other, rate: 10) == nil, "other tenants have their own bucket")
        now.withLock { $0 += .milliseconds(250) }
        #expect(limiter.take(tenant, rate: 10) == nil && limiter.take(tenant, rate: 10) == nil, "2.5 tokens came back")
        #expect(limiter.take(tenant, rate: 10) != nil)
        now.withLock { $0 += .seconds(60) }
        #expect((0..<20).allSatisfy { _ in limiter.take(tenant, rate: 10) == nil } && limiter.take(tenant, rate: 10) != nil, "refills to the burst, no more")
    }

    @Test func aFreePlanIsAnswered429WithRetryAfterPastItsRate() async throws {
        try await PortalTestServer.with { server in
            let a = try await APIFixtures.tenant(server, name: "Freebie", plan: "free")
            // 160 requests at once: 20 a second with bursts of 40, so about 40 reach the gateway (an unknown deployment:
            // 404) and the rest wait.
            let answers = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<160 {
                    group.addTask {
                        let response = try await server.browser().api("POST", "/v1/predict/none", json: #"{"rows": [{}]}"#, bearer: a.key)
                        return (response.statusCode, response.header("Retry-After"))
                    }
                }
                return try await group.reduce(into: [(Int, String?)]()) { $0.append($1) }
            }
            let passed = answers.filter { $0.0 == 404 }.count
            let refused = answers.filter { $0.0 == 429 }
            #expect(passed + refused.count == 160 && passed >= 38 && !refused.isEmpty, "\(answers.map(\.0))")
            let retryAfter = refused.first?.1
            #expect(retryAfter == "1")
        }
    }
}
