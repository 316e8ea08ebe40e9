/// The ingestion benchmark's upload: a CSV of `rows` rows and 20 columns, generated chunk by chunk while it is sent, so
/// the client never holds more than one chunk (about ``chunkBytes``). Deterministic (a fixed-seed SplitMix64), so every
/// round sends the same file.
///
/// Columns, as the server infers them from the first rows: `customer_id` (string, unique), eight ints (`age` with about
/// 2% missing, `tenure_days`, `orders`, `visits_30d`, `balance_cents` (negative too), `support_tickets`, `devices`,
/// `referrals`), eight floats with two to four decimals (`monthly_spend` with about 2% missing, `discount`, `score`,
/// `latitude`, `longitude`, `churn_probability`, `session_minutes`, `cart_value`), `plan` (a category of five values),
/// `is_active` (bool), `last_seen` (an RFC 3339 UTC timestamp, about 1% missing). Lines end with `\n`.
struct GeneratedCSV: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    typealias Failure = any Error

    /// Rows after the header.
    let rows: Int
    /// The size a chunk reaches before it is handed to the HTTP client: 64 KiB.
    static let chunkBytes = 64 << 10

    static let header = "customer_id,age,tenure_days,orders,visits_30d,balance_cents,support_tickets,devices,referrals,monthly_spend,discount,"
        + "score,latitude,longitude,churn_probability,session_minutes,cart_value,plan,is_active,last_seen\n"
    private static let plans: [[UInt8]] = ["free", "starter", "pro", "team", "enterprise"].map { Array($0.utf8) }
    private static let trueText = Array("true".utf8), falseText = Array("false".utf8)

    struct AsyncIterator: AsyncIteratorProtocol {
        let rows: Int
        var next = -1  // -1: the header is still to come
        var random = SplitMix64(seed: 0xFA1A_2026)

        mutating func next() async throws -> [UInt8]? {
            guard next < rows else { return nil }
            var chunk = [UInt8](repeating: 0, count: GeneratedCSV.chunkBytes + 1_024)  // a row is under 200 bytes
            let used = chunk.withUnsafeMutableBufferPointer { out in
                var sink = ByteSink(out: out)
                if next < 0 {
                    for byte in GeneratedCSV.header.utf8 { sink.put(byte) }
                    next = 0
                }
                while next < rows && sink.position < GeneratedCSV.chunkBytes {
                    writeRow(next, to: &sink)
                    next += 1
                }
                return sink.position
            }
            chunk.removeLast(chunk.count - used)
            return chunk
        }

        private mutating func writeRow(_ index: Int, to sink: inout ByteSink) {
            sink.put(UInt8(ascii: "c"))
            sink.digits(UInt64(index), width: 7)
            sink.integer(random.chance(2) ? nil : 18 + random.below(73))  // age
            sink.integer(random.below(3_651))  // tenure_days
            sink.integer(random.below(201))  // orders
            sink.integer(random.below(100))  // visits_30d
            sink.integer(random.below(5_050_001) - 50_000)  // balance_cents
            sink.integer(random.below(10))  // support_tickets
            sink.integer(1 + random.below(6))  // devices
            sink.integer(random.below(25))  // referrals
            sink.decimal(random.chance(2) ? nil : random.below(100_000), places: 2)  // monthly_spend
            sink.decimal(random.below(51), places: 2)  // discount
            sink.decimal(random.below(10_001), places: 4)  // score
            sink.decimal(random.below(1_800_001) - 900_000, places: 4)  // latitude
            sink.decimal(random.below(3_600_001) - 1_800_000, places: 4)  // longitude
            sink.decimal(random.below(1_001), places: 3)  // churn_probability
            sink.decimal(random.below(24_000), places: 2)  // session_minutes
            sink.decimal(random.below(250_000), places: 2)  // cart_value
            sink.put(UInt8(ascii: ","))
            for byte in GeneratedCSV.plans[random.below(5)] { sink.put(byte) }
            sink.put(UInt8(ascii: ","))
            for byte in random.below(3) == 0 ? GeneratedCSV.falseText : GeneratedCSV.trueText { sink.put(byte) }
            sink.put(UInt8(ascii: ","))
            if !random.chance(1) { sink.timestamp(seconds: 1_767_225_600 + random.below(31_536_000)) }  // during 2026
            sink.put(UInt8(ascii: "\n"))
        }
    }

    /// Writes a chunk's bytes through a pointer (the generator is part of the measured process: keep it cheap).
    struct ByteSink {
        let out: UnsafeMutableBufferPointer<UInt8>
        var position = 0

        mutating func put(_ byte: UInt8) {
            out[position] = byte
            position += 1
        }

        /// A comma, then the number (nothing for nil: a missing value).
        mutating func integer(_ value: Int?) {
            put(UInt8(ascii: ","))
            guard let value else { return }
            if value < 0 { put(UInt8(ascii: "-")) }
            var width = 1
            var rest = value.magnitude
            while rest >= 10 {
                rest /= 10
                width += 1
            }
            digits(UInt64(value.magnitude), width: width)
        }

        /// A comma, then `value / 10^places` with exactly `places` decimals (`-0.05`, `12.30`); nil writes a missing value.
        mutating func decimal(_ value: Int?, places: Int) {
            guard let value else { return put(UInt8(ascii: ",")) }
            var scale = 1
            for _ in 0..<places { scale *= 10 }
            integer(value / scale)
            if value < 0 && value / scale == 0 {  // -0.05: the sign is not in the whole part
                out[position - 1] = UInt8(ascii: "-")
                put(UInt8(ascii: "0"))
            }
            put(UInt8(ascii: "."))
            digits(UInt64((value % scale).magnitude), width: places)
        }

        /// `YYYY-MM-DDTHH:MM:SSZ` for seconds since 1970 (days to civil date after Howard Hinnant's algorithm).
        mutating func timestamp(seconds: Int) {
            let days = seconds / 86_400, second = seconds % 86_400
            let shifted = days + 719_468
            let era = shifted / 146_097
            let dayOfEra = shifted - era * 146_097
            let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
            let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
            let monthIndex = (5 * dayOfYear + 2) / 153
            let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
            let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
            let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
            digits(UInt64(year), width: 4)
            put(UInt8(ascii: "-"))
            digits(UInt64(month), width: 2)
            put(UInt8(ascii: "-"))
            digits(UInt64(day), width: 2)
            put(UInt8(ascii: "T"))
            digits(UInt64(second / 3_600), width: 2)
            put(UInt8(ascii: ":"))
            digits(UInt64(second / 60 % 60), width: 2)
            put(UInt8(ascii: ":"))
            digits(UInt64(second % 60), width: 2)
            put(UInt8(ascii: "Z"))
        }

        /// The last `width` decimal digits of `value`, zero-padded.
        mutating func digits(_ value: UInt64, width: Int) {
            var rest = value
            var index = position + width
            while index > position {
                index -= 1
                out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            }
            position += width
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rows: rows) }
}

/// A small, fast, seeded generator (SplitMix64); statistical quality is ample for test data.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    mutating func nextBits() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (modulo bias is negligible for these bounds).
    mutating func below(_ bound: Int) -> Int { Int(nextBits() % UInt64(bound)) }

    /// True about `percent` times in a hundred.
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}
