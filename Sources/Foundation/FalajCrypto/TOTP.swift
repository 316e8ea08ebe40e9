public import Foundation

/// Time-based one-time passwords (RFC 6238) over HMAC-SHA-1, as read by Google Authenticator, 1Password, Aegis and
/// other authenticator apps.
///
/// The code for a moment is HOTP (RFC 4226) applied to the *time step* `floor(seconds since 1970 / period)`.
/// ``verify(_:at:window:)`` returns the step it matched so that the caller can store it and refuse a second login
/// with a code from the same or an earlier step. Nothing here blocks beyond one HMAC per step checked.
public struct TOTP: Sendable {
    /// The shared secret; kept private so that it is not printed by `dump` or string interpolation.
    private let secret: [UInt8]
    /// How many decimal digits a code has (6 unless stated otherwise).
    public let digits: Int
    /// The length of one time step in seconds (30 unless stated otherwise).
    public let period: Int

    /// The number of random bytes ``generateSecret()`` returns (20, that is 160 bits, as RFC 4226 recommends).
    public static let secretByteCount = 20

    /// Creates a generator and verifier for one secret.
    ///
    /// Traps on a programming error: an empty secret, `digits` outside 6...10 or a `period` below 1.
    /// - Parameters:
    ///   - secret: the shared secret, typically from ``generateSecret()`` and stored encrypted.
    ///   - digits: digits per code; defaults to 6, the only length every authenticator app supports.
    ///   - period: seconds per time step; defaults to 30, the only step every authenticator app supports.
    public init(secret: [UInt8], digits: Int = 6, period: Int = 30) {
        precondition(!secret.isEmpty, "a TOTP secret must not be empty")
        precondition((6...10).contains(digits), "TOTP codes have 6 to 10 digits")
        precondition(period >= 1, "a TOTP period must be at least one second")
        self.secret = secret
        self.digits = digits
        self.period = period
    }

    /// Returns 20 fresh random bytes (``secretByteCount``) from ``SecureRandom``, to give a user enrolling an
    /// authenticator app.
    public static func generateSecret() -> [UInt8] {
        SecureRandom.bytes(count: secretByteCount)
    }

    /// The time-step counter for `date`: whole periods since 1970-01-01T00:00:00Z (negative before then).
    /// - Parameter date: the moment.
    public func counter(at date: Date) -> Int {
        let steps = (date.timeIntervalSince1970 / Double(period)).rounded(.down)
        guard let counter = Int(exactly: steps) else {
            return steps < 0 ? Int.min : Int.max
        }
        return counter
    }

    /// The code an authenticator app shows at `date`, zero-padded to ``digits`` digits.
    /// - Parameter date: the moment, usually `Date.now`.
    public func code(at date: Date) -> String {
        code(counter: counter(at: date))
    }

    /// The code for time step `counter` (RFC 4226 HOTP with dynamic truncation), zero-padded to ``digits`` digits.
    /// - Parameter counter: a value from ``counter(at:)``.
    public func code(counter: Int) -> String {
        var message = [UInt8](repeating: 0, count: 8)
        let value = UInt64(UInt(bitPattern: counter))
        for index in 0..<8 {
            message[index] = UInt8(truncatingIfNeeded: value >> UInt64(56 - 8 * index))
        }
        let tag = HMACSHA1.authenticate(message: message, key: secret)
        let offset = Int(tag[tag.count - 1] & 0x0F)
        let binary = UInt64(tag[offset] & 0x7F) << 24 | UInt64(tag[offset + 1]) << 16
            | UInt64(tag[offset + 2]) << 8 | UInt64(tag[offset + 3])
        var modulus: UInt64 = 1
        for _ in 0..<digits {
            modulus *= 10
        }
        let number = String(binary % modulus)
        return String(repeating: "0", count: digits - number.count) + number
    }

    /// Checks a code typed by the user against the steps from `window` before to `window` after the one at `date`,
    /// and returns the time-step counter it matched, or `nil`.
    ///
    /// Input other than exactly ``digits`` ASCII digits returns `nil` at once, so strip spaces (and convert any
    /// Arabic-Indic digits) before calling. Each candidate is compared with ``ConstantTime/equals(_:_:)`` and every
    /// step in the window is checked, whether or not an earlier one matched. When two steps match, the one nearest
    /// to `date` wins, the earlier of two equally near.
    ///
    /// To stop replay, store the returned counter with the user and reject a later login whose counter is not
    /// greater than the stored one.
    /// - Parameters:
    ///   - code: the code as entered.
    ///   - date: the moment of the attempt, usually `Date.now`.
    ///   - window: how many steps of clock drift to allow each way; defaults to 1 (±30 s at the default period).
    ///     Clamped to 0...10, so a mistaken setting cannot turn one call into millions of HMACs.
    public func verify(_ code: String, at date: Date, window: Int = 1) -> Int? {
        let entered = Array(code.utf8)
        guard entered.count == digits, entered.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        let current = counter(at: date)
        let window = min(max(0, window), 10)
        var match: Int?
        var matchDistance = Int.max
        for offset in (-window)...window {
            let (candidate, overflow) = current.addingReportingOverflow(offset)
            guard !overflow else { continue }
            let isMatch = ConstantTime.equals(Array(self.code(counter: candidate).utf8), entered)
            if isMatch && offset.magnitude < matchDistance.magnitude {
                match = candidate
                matchDistance = Int(offset.magnitude)
            }
        }
        return match
    }
}
