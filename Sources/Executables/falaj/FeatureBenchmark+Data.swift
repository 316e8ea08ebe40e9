/// The training-set data, a pure function of the sizes, so the bench generates it while uploading and knows every
/// expected answer without storing anything.
///
/// Three groups (`g1`, `g2`, `g3`) on the `customer` entity, each with three features: `gN_amount` (float, two
/// decimals), `gN_count` (int) and `gN_tier` (category of four values). Entity `c<e>` (e < `historyEntities`) has
/// `events` rows in each group; event `j` falls at a random second of the `j`-th 30-day period from 2026-01-01, so the
/// times increase with `j`. Entity row `i` names a random entity (1% of them one with no history at all) and an "as of"
/// time from half a period before the first event to the end of the last period; 2% name exactly the time of one of
/// the entity's `g1` events (the "at or before" boundary).
struct TrainingSetData: Sendable {
    let historyEntities: Int
    let events: Int
    let entityRows: Int

    static let groups = ["g1", "g2", "g3"]
    static let tiers = ["bronze", "silver", "gold", "platinum"]
    /// 2026-01-01T00:00:00Z and 30 days, in seconds.
    static let base = 1_767_225_600, period = 2_592_000

    /// The feature names of group `group` (0–2), in the order of the group's definition and of the history CSV.
    static func features(_ group: Int) -> [(name: String, type: String)] {
        let prefix = groups[group]
        return [(prefix + "_amount", "float"), (prefix + "_count", "int"), (prefix + "_tier", "category")]
    }

    /// SplitMix64's finaliser.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static func hash(_ group: Int, _ entity: Int, _ event: Int, _ salt: UInt64) -> UInt64 {
        mix(UInt64(entity) &* 0x1_0000_01B3 &+ UInt64(group) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(event) &* 0xC2B2_AE3D_27D4_EB4F &+ salt &* 0x1656_67B1_9E37_79F9)
    }

    /// Seconds since 1970 of event `event` of `entity` in group `group`.
    func eventTime(group: Int, entity: Int, event: Int) -> Int {
        Self.base + event * Self.period + Int(Self.hash(group, entity, event, 1) % UInt64(Self.period))
    }

    /// The feature values of one event: the amount in cents, the count, the tier's index.
    func values(group: Int, entity: Int, event: Int) -> (amountCents: Int, count: Int, tier: Int) {
        (Int(Self.hash(group, entity, event, 2) % 1_000_000), Int(Self.hash(group, entity, event, 3) % 10_000), Int(Self.hash(group, entity, event, 4) % 4))
    }

    /// Entity row `index`: the entity, the "as of" time and the label.
    func entityRow(_ index: Int) -> (entity: Int, asOf: Int, label: Int) {
        let r = Self.mix(UInt64(index) &+ 0xFA1A_2026_0000_0000)
        let known = r % 100 != 0
        let entity = Int((r >> 8) % UInt64(historyEntities)) + (known ? 0 : historyEntities)
        let asOf: Int
        if known && (r >> 40) % 50 == 0 {
            asOf = eventTime(group: 0, entity: entity, event: Int((r >> 32) % UInt64(events)))
        } else {
            asOf = Self.base - Self.period / 2 + Int((r >> 20) % UInt64(events * Self.period + Self.period / 2))
        }
        return (entity, asOf, Int(r >> 63))
    }

    /// The event of `group` a row joins: the latest at or before `asOf`; nil when there is none (or no history).
    func expectedEvent(group: Int, entity: Int, asOf: Int) -> Int? {
        guard entity < historyEntities else { return nil }
        var found: Int?
        for event in 0..<events where eventTime(group: group, entity: entity, event: event) <= asOf { found = event }
        return found
    }

    /// The history CSV of group `group`: `historyEntities × events` rows of `customer_id,event_time,<features>`.
    func historyCSV(group: Int) -> GeneratedRowsCSV {
        let header = "customer_id,event_time," + Self.features(group).map(\.name).joined(separator: ",") + "\n"
        return GeneratedRowsCSV(header: header, rows: historyEntities * events) { [self] index, sink in
            let (entity, event) = index.quotientAndRemainder(dividingBy: events)
            sink.put(UInt8(ascii: "c"))
            sink.number(entity)
            sink.put(UInt8(ascii: ","))
            sink.timestamp(seconds: eventTime(group: group, entity: entity, event: event))
            let values = values(group: group, entity: entity, event: event)
            sink.decimal(values.amountCents, places: 2)
            sink.integer(values.count)
            sink.put(UInt8(ascii: ","))
            for byte in Self.tiers[values.tier].utf8 { sink.put(byte) }
            sink.put(UInt8(ascii: "\n"))
        }
    }

    /// The entity dataset: `entityRows` rows of `customer_id,event_time,label`.
    func entityCSV() -> GeneratedRowsCSV {
        GeneratedRowsCSV(header: "customer_id,event_time,label\n", rows: entityRows) { [self] index, sink in
            let row = entityRow(index)
            sink.put(UInt8(ascii: "c"))
            sink.number(row.entity)
            sink.put(UInt8(ascii: ","))
            sink.timestamp(seconds: row.asOf)
            sink.integer(row.label)
            sink.put(UInt8(ascii: "\n"))
        }
    }
}

/// A CSV generated chunk by chunk while it is sent (like ``GeneratedCSV``, for any rows): the header, then
/// `write(index, &sink)` for each row, which must write under 1 KiB.
struct GeneratedRowsCSV: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    typealias Failure = any Error

    let header: String
    let rows: Int
    let write: @Sendable (Int, inout GeneratedCSV.ByteSink) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        let csv: GeneratedRowsCSV
        var next = -1  // -1: the header is still to come

        mutating func next() async throws -> [UInt8]? {
            guard next < csv.rows else { return nil }
            var chunk = [UInt8](repeating: 0, count: GeneratedCSV.chunkBytes + 1_024 + csv.header.utf8.count)
            let used = chunk.withUnsafeMutableBufferPointer { out in
                var sink = GeneratedCSV.ByteSink(out: out)
                if next < 0 {
                    for byte in csv.header.utf8 { sink.put(byte) }
                    next = 0
                }
                while next < csv.rows && sink.position < GeneratedCSV.chunkBytes {
                    csv.write(next, &sink)
                    next += 1
                }
                return sink.position
            }
            chunk.removeLast(chunk.count - used)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(csv: self) }
}

extension GeneratedCSV.ByteSink {
    /// A non-negative number's decimal digits (no comma).
    mutating func number(_ value: Int) {
        var width = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            width += 1
        }
        digits(UInt64(value), width: width)
    }
}
