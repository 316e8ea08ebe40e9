import Foundation
import Testing

@testable import PostgresClient

@Suite struct TextFormatTests {
    @Test func timestampsFormatInUTCWithMicroseconds() {
        let date = Date(timeIntervalSince1970: 1_700_000_000.123456)
        #expect(PostgresTimestamp.format(date) == "2023-11-14 22:13:20.123456+00")
        #expect(PostgresTimestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01 00:00:00.000000+00")
        #expect(PostgresTimestamp.format(Date(timeIntervalSince1970: -1.5)) == "1969-12-31 23:59:58.500000+00")
    }

    @Test func timestampsParseOffsetsFractionsAndSpecialValues() throws {
        let utc = try #require(PostgresTimestamp.parse("2023-11-14 22:13:20.123456+00"))
        #expect(abs(utc.timeIntervalSince1970 - 1_700_000_000.123456) < 0.000_001)
        let offset = try #require(PostgresTimestamp.parse("2023-11-15 03:43:20.5+05:30"))
        #expect(abs(offset.timeIntervalSince1970 - 1_700_000_000.5) < 0.000_001)
        let historic = try #require(PostgresTimestamp.parse("1900-01-01 00:00:00+00:19:32"))
        #expect(historic.timeIntervalSince1970 == -2_208_988_800 - 1172)
        #expect(PostgresTimestamp.parse("2024-02-29")?.timeIntervalSince1970 == 1_709_164_800)
        #expect(PostgresTimestamp.parse("infinity") == .distantFuture)
        #expect(PostgresTimestamp.parse("-infinity") == .distantPast)
        #expect(PostgresTimestamp.parse("2024-13-01") == nil)
        #expect(PostgresTimestamp.parse("yesterday") == nil)
        #expect(PostgresTimestamp.parse("2024-01-01 10:00:00.1234567+00") != nil)
    }

    @Test func civilDateArithmeticRoundTrips() {
        for days: Int64 in [-800_000, -719_468, -1, 0, 1, 11_016, 19_782, 2_932_896] {
            let (year, month, day) = PostgresTimestamp.civil(fromDays: days)
            #expect(PostgresTimestamp.days(fromYear: year, month: month, day: day) == days)
        }
    }

    @Test func byteaHexRoundTrips() {
        #expect(PostgresBytea.format([0x00, 0xff, 0x10]) == "\\x00ff10")
        #expect(PostgresBytea.parse("\\x00FF10") == [0x00, 0xff, 0x10])
        #expect(PostgresBytea.parse("\\x") == [])
        #expect(PostgresBytea.parse("\\x0") == nil)
        #expect(PostgresBytea.parse("0011") == nil)
    }

    @Test func arrayLiteralsParseQuotesEscapesAndNulls() {
        #expect(PostgresArrayText.parse("{}") == [])
        #expect(PostgresArrayText.parse("{1,2,3}") == ["1", "2", "3"])
        #expect(PostgresArrayText.parse(#"{"a b","c\"d","e\\f",NULL,"NULL"}"#) == ["a b", "c\"d", "e\\f", nil, "NULL"])
        #expect(PostgresArrayText.parse("[0:1]={x,y}") == ["x", "y"])
        #expect(PostgresArrayText.parse("{{1,2},{3,4}}") == nil)
        #expect(PostgresArrayText.format(["a", "b\"c", nil]) == #"{"a","b\"c",NULL}"#)
    }

    @Test func queryInterpolationBindsValuesAndQuotesIdentifiers() {
        let name = "Robert'); DROP TABLE students;--"
        let limit = 10
        let query: PostgresQuery = "SELECT * FROM \(identifier: "my \"table\"") WHERE name = \(name) LIMIT \(limit)"
        #expect(query.sql == #"SELECT * FROM "my ""table""" WHERE name = $1 LIMIT $2"#)
        #expect(query.bindings.values == [name, "10"])
        #expect(query.bindings.types == [.unspecified, .int8])
        #expect(!query.description.contains("Robert"))
        let none: String? = nil
        let withNull: PostgresQuery = "SELECT \(none)"
        #expect(withNull.bindings.values == [nil])
    }

    @Test func configurationParsesURLsAndKeyValueStrings() throws {
        let url = try PostgresConfiguration("postgresql://app:s3cret@db.example:6543/falaj?sslmode=require")
        #expect(url.parameters["host"] == "db.example")
        #expect(url.parameters["port"] == "6543")
        #expect(url.user == "app")
        #expect(url.database == "falaj")
        #expect(url.parameters["sslmode"] == "require")
        #expect(!url.description.contains("s3cret"))
        #expect(url.conninfo.contains("password='s3cret'"))

        let socket = try PostgresConfiguration("postgresql://postgres@/postgres?host=/tmp/x%20y/run")
        #expect(socket.host == "/tmp/x y/run")
        let other = socket.withDatabase("falaj_directory").withUser("falaj_app")
        #expect(other.database == "falaj_directory")
        #expect(other.user == "falaj_app")
        #expect(other.host == "/tmp/x y/run")

        let keyValue = try PostgresConfiguration("host=/var/run dbname='it\\'s' user=me")
        #expect(keyValue.database == "it's")
        let reparsed = try PostgresConfiguration(keyValue.conninfo)
        #expect(reparsed == keyValue)
        #expect(try PostgresConfiguration(socket.conninfo) == socket)
    }

    @Test func invalidConfigurationIsRedacted() {
        #expect {
            try PostgresConfiguration("host=x password='unterminated")
        } throws: { error in
            let error = error as? PostgresError
            return error?.code == .invalidConfiguration && error?.description.contains("unterminated") == false
        }
    }
}
