internal import CLibPQ
public import Foundation

/// Where and how to connect: the libpq connection parameters of one server, database and role.
///
/// Build it from a URL (`postgresql://user:pass@host:5432/db?host=/socket/dir&sslmode=disable`) or a libpq
/// `key=value` string; libpq's own parser reads both, so every libpq parameter works. Parsing does no I/O.
/// Derive the same server with another database or role through ``withDatabase(_:)`` and ``withUser(_:)``.
///
/// Every connection the client opens also gets `client_encoding=UTF8`, `DateStyle=ISO`, `TimeZone=UTC` and
/// `bytea_output=hex` (the text formats the decoders read), `connect_timeout=10` unless set, and
/// `fallback_application_name=falaj`.
public struct PostgresConfiguration: Sendable, Hashable, CustomStringConvertible {
    /// The libpq parameters that were set explicitly, keyed by libpq keyword (`host`, `port`, `dbname`, `user`, …).
    public private(set) var parameters: [String: String]

    /// Parses a `postgresql://` / `postgres://` URL or a libpq `key=value` connection string.
    /// - Throws: ``PostgresError`` with code ``PostgresError/Code/invalidConfiguration`` when libpq cannot parse it.
    public init(_ connectionString: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            let detail = errorMessage.map { String(cString: $0) } ?? "out of memory"
            if let errorMessage { PQfreemem(errorMessage) }
            throw PostgresError(.invalidConfiguration, "the database connection string is not valid", detail: detail)
        }
        defer { PQconninfoFree(options) }
        var parameters: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                parameters[String(cString: keyword)] = String(cString: value)
            }
            option += 1
        }
        self.parameters = parameters
    }

    /// Parses a `postgresql://` URL; see ``init(_:)``.
    public init(url: URL) throws {
        try self.init(url.absoluteString)
    }

    /// Creates a configuration from libpq keywords and values, without parsing.
    /// - Parameter parameters: libpq keywords (`host`, `port`, `dbname`, `user`, `password`, `sslmode`, …) and values.
    public init(parameters: [String: String]) {
        self.parameters = parameters
    }

    /// A configuration for a server listening on a Unix socket in `socketDirectory` (no TCP, no password).
    /// - Parameters:
    ///   - socketDirectory: the directory that holds `.s.PGSQL.<port>`.
    ///   - port: the port number in the socket file name; default 5432.
    ///   - user: the role to log in as.
    ///   - database: the database to connect to.
    public static func unixSocket(directory socketDirectory: String, port: Int = 5432, user: String, database: String) -> PostgresConfiguration {
        PostgresConfiguration(parameters: ["host": socketDirectory, "port": String(port), "user": user, "dbname": database])
    }

    /// The database name, when set.
    public var database: String? { parameters["dbname"] }
    /// The role name, when set.
    public var user: String? { parameters["user"] }
    /// The host name, IP address or socket directory, when set.
    public var host: String? { parameters["host"] }

    /// The same server and options with another database.
    public func withDatabase(_ name: String) -> PostgresConfiguration {
        withParameter("dbname", name)
    }

    /// The same server, database and options with another role. The password is dropped (it belonged to the old role).
    public func withUser(_ name: String) -> PostgresConfiguration {
        var copy = withParameter("user", name)
        copy.parameters["password"] = nil
        return copy
    }

    /// A copy with one libpq parameter set, or removed when `value` is nil.
    public func withParameter(_ keyword: String, _ value: String?) -> PostgresConfiguration {
        var copy = self
        copy.parameters[keyword] = value
        return copy
    }

    /// The libpq `key='value'` connection string (sorted keys; values quoted and escaped). Contains the password if one is set.
    public var conninfo: String {
        Self.conninfo(parameters)
    }

    /// The connection string with any password replaced by `***`, safe for logs.
    public var description: String {
        var redacted = parameters
        if redacted["password"] != nil { redacted["password"] = "***" }
        return Self.conninfo(redacted)
    }

    /// The parameters libpq gets when connecting: the explicit ones plus the session settings the decoders rely on.
    var connectParameters: [(String, String)] {
        var merged = parameters
        let session = "-c DateStyle=ISO,MDY -c TimeZone=UTC -c bytea_output=hex -c extra_float_digits=1"
        merged["options"] = [parameters["options"], session].compactMap { $0 }.joined(separator: " ")
        merged["client_encoding"] = "UTF8"
        if merged["connect_timeout"] == nil { merged["connect_timeout"] = "10" }
        if merged["fallback_application_name"] == nil { merged["fallback_application_name"] = "falaj" }
        return merged.sorted { $0.key < $1.key }
    }

    private static func conninfo(_ parameters: [String: String]) -> String {
        parameters.sorted { $0.key < $1.key }
            .map { key, value in
                let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
                return "\(key)='\(escaped)'"
            }
            .joined(separator: " ")
    }
}
