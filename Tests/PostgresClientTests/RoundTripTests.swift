import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite struct RoundTripTests {
    struct Settings: Codable, Equatable {
        var theme: String
        var limits: [Int]
    }

    @Test func everyTypeRoundTripsThroughATable() async throws {
        try await TestDatabase.withTemporary { database in
            try await withConnection(database.configuration) { connection in
                try await connection.execute(
                    """
                    CREATE TABLE samples (
                        id int PRIMARY KEY, t text, i8 bigint, i4 integer, i2 smallint, b boolean, f8 double precision,
                        n numeric, u uuid, ts timestamptz, d date, j jsonb, raw bytea, tags text[], counts bigint[]
                    )
                    """
                )
                let uuid = UUID()
                let when = Date(timeIntervalSince1970: 1_700_000_000.654321)
                let settings = Settings(theme: "dark ☾", limits: [1, 2])
                let bytes: [UInt8] = [0, 1, 2, 0xfe, 0xff]
                let price = Decimal(string: "12345678901234.5678")!
                let text = "naïve 'quoted' \"text\" — ünïcödé 🚀"
                try await connection.execute(
                    """
                    INSERT INTO samples VALUES (1, \(text), \(Int.max), \(Int32.min), \(Int16(-7)), \(true), \(3.141592653589793),
                        \(price), \(uuid), \(when), \("2024-02-29"), \(try PostgresJSON(encoding: settings)), \(bytes),
                        \(["a", "b,c", "d\"e", "NULL", ""]), \([1, -2, 3]))
                    """
                )
                let none: String? = nil
                try await connection.execute(
                    """
                    INSERT INTO samples VALUES (2, \(none), \(Int?.none), \(Int32?.none), \(Int16?.none), \(Bool?.none),
                        \(Double?.none), \(Decimal?.none), \(UUID?.none), \(Date?.none), \(none), \(PostgresJSON?.none),
                        \([UInt8]?.none), \([String]?.none), \([Int]?.none))
                    """
                )
                let rows = try await connection.query("SELECT * FROM samples ORDER BY id")
                #expect(rows.count == 2)
                let row = rows[0]
                #expect(try row["t", as: String.self] == text)
                #expect(try row["i8", as: Int.self] == Int.max)
                #expect(try row["i8", as: Int64.self] == Int64.max)
                #expect(try row["i4", as: Int32.self] == Int32.min)
                #expect(try row["i2", as: Int16.self] == -7)
                #expect(try row["b", as: Bool.self] == true)
                #expect(try row["f8", as: Double.self] == 3.141592653589793)
                #expect(try row["n", as: Decimal.self] == price)
                #expect(try row["u", as: UUID.self] == uuid)
                let readBack = try row["ts", as: Date.self]
                #expect(abs(readBack.timeIntervalSince(when)) < 0.000_001)
                #expect(try row["d", as: Date.self] == Date(timeIntervalSince1970: 1_709_164_800))
                #expect(try row["j", as: PostgresJSON.self].decode(Settings.self) == settings)
                #expect(try row.decodeJSON(Settings.self, column: "j") == settings)
                #expect(try row["raw", as: [UInt8].self] == bytes)
                #expect(try row["raw", as: Data.self] == Data(bytes))
                #expect(try row["tags", as: [String].self] == ["a", "b,c", "d\"e", "NULL", ""])
                #expect(try row["counts", as: [Int].self] == [1, -2, 3])

                let nulls = rows[1]
                for column in nulls.columnNames where column != "id" {
                    #expect(try nulls.isNull(column: column), "\(column) should be NULL")
                }
                #expect(try nulls["t", as: String?.self] == nil)
                #expect(try nulls["i8", as: Int?.self] == nil)
                #expect(try nulls["u", as: UUID?.self] == nil)
                #expect(try nulls["ts", as: Date?.self] == nil)
                #expect(try nulls["j", as: PostgresJSON?.self] == nil)
                #expect(try nulls["raw", as: [UInt8]?.self] == nil)
                #expect(try nulls["tags", as: [String]?.self] == nil)
            }
        }
    }

    @Test func scalarsRoundTripThroughParameters() async throws {
        try await withServerConnection { connection in
            func echo<Value: PostgresEncodable & PostgresDecodable & Equatable>(_ value: Value, as cast: String) async throws -> Value {
                let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT $1::\(cast) AS v", bindings: bindings(value)))
                return try rows[0]["v", as: Value.self]
            }
            func bindings<Value: PostgresEncodable>(_ value: Value) -> PostgresBindings {
                var bindings = PostgresBindings()
                bindings.append(value)
                return bindings
            }
            #expect(try await echo(Int.min, as: "bigint") == Int.min)
            #expect(try await echo(Int32.max, as: "integer") == Int32.max)
            #expect(try await echo(false, as: "boolean") == false)
            #expect(try await echo(Double.infinity, as: "float8") == .infinity)
            #expect(try await echo(-0.1, as: "float8") == -0.1)
            #expect(try await echo(Decimal(string: "-0.000001")!, as: "numeric") == Decimal(string: "-0.000001")!)
            #expect(try await echo([Int32(1), 2], as: "int[]") == [1, 2])
            #expect(try await echo([true, false], as: "boolean[]") == [true, false])
            #expect(try await echo([UUID(), UUID()].sorted { $0.uuidString < $1.uuidString }.count, as: "int") == 2)
            #expect(try await echo([String](), as: "text[]") == [])
            #expect(try await echo(Data(), as: "bytea") == Data())
            #expect(try await echo([UInt8](), as: "bytea") == [])
            let nan = try await connection.query("SELECT 'NaN'::float8 AS v")[0]["v", as: Double.self]
            #expect(nan.isNaN)
            let uuids = [UUID(), UUID()]
            let uuidRows = try await connection.query("SELECT unnest(\(uuids)) AS u")
            #expect(try uuidRows.map { try $0["u", as: UUID.self] } == uuids)
        }
    }

    @Test func timestampsAreTimeZoneCorrect() async throws {
        try await withServerConnection { connection in
            // A fixed instant written with an offset reads back as the same instant.
            let rows = try await connection.query(
                "SELECT '2024-06-01 12:00:00+04'::timestamptz AS ts, \(Date(timeIntervalSince1970: 1_717_228_800)) = '2024-06-01 08:00:00Z'::timestamptz AS same"
            )
            #expect(try rows[0]["ts", as: Date.self] == Date(timeIntervalSince1970: 1_717_228_800))
            #expect(try rows[0]["same", as: Bool.self])
            // Even when the session uses another time zone, the decoded instant is unchanged.
            try await connection.execute("SET TimeZone = 'Asia/Dubai'")
            let dubai = try await connection.query("SELECT '2024-06-01 08:00:00Z'::timestamptz AS ts, now() AS now")
            #expect(try dubai[0]["ts", as: Date.self] == Date(timeIntervalSince1970: 1_717_228_800))
            #expect(abs(try dubai[0]["now", as: Date.self].timeIntervalSinceNow) < 60)
        }
    }
}
