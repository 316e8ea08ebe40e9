import Foundation
import Synchronization

/// Token buckets per key (a tenant): `rate` tokens a second, holding at most twice that, so a quiet caller may burst.
/// Each request takes one token; without one it is refused with the seconds until the next token. In memory, per
/// process: with several control-plane processes each enforces the rate on its own share of the traffic.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let buckets = Mutex<[UUID: Bucket]>([:])
    private let clock: @Sendable () -> ContinuousClock.Instant

    /// A limiter reading `clock` (tests pass their own).
    init(clock: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) { self.clock = clock }

    /// Takes a token for `key` at `rate` a second: nil when granted, else the whole seconds to wait (at least 1).
    func take(_ key: UUID, rate: Int) -> Int? {
        let rate = Double(max(1, rate))
        let now = clock()
        return buckets.withLock { buckets -> Int? in
            var bucket = buckets[key] ?? Bucket(tokens: 2 * rate, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(2 * rate, bucket.tokens + seconds * rate)
            bucket.updated = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }
}
