public import Foundation

/// One numbered SQL migration file, `NNNN_name.sql`.
public struct Migration: Sendable, Hashable {
    /// The number before the first underscore (`1` for `0001_regions.sql`).
    public let version: Int
    /// The file name, `0001_regions.sql`.
    public let fileName: String
    /// The file's SQL text; it may hold several statements but no `BEGIN`/`COMMIT` (the migrator wraps it in a transaction).
    public let sql: String
    /// SHA-256 of the file's bytes, 64 lower-case hex digits.
    public let checksum: String

    /// Creates a migration from its file name and bytes; the checksum is computed here.
    /// - Throws: ``PostgresError/Code/migrationInvalid`` when the name is not `NNNN_name.sql` or the bytes are not UTF-8.
    public init(fileName: String, contents: Data) throws {
        guard let version = Self.version(of: fileName) else {
            throw PostgresError(
                .migrationInvalid,
                "migration file \(fileName) is not named NNNN_name.sql (four or more digits, then lower-case letters, digits or _)"
            )
        }
        guard let sql = String(data: contents, encoding: .utf8) else {
            throw PostgresError(.migrationInvalid, "migration file \(fileName) is not valid UTF-8")
        }
        self.version = version
        self.fileName = fileName
        self.sql = sql
        self.checksum = MigrationChecksum.sha256Hex(contents)
    }

    /// The version of `NNNN_name.sql`, or nil when the name does not have that form.
    static func version(of fileName: String) -> Int? {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_") else { return nil }
        let digits = stem[..<underscore]
        let name = stem[stem.index(after: underscore)...]
        guard digits.count >= 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }), !name.isEmpty,
            name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
        else { return nil }
        return Int(digits)
    }
}

/// The migrations of one database kind (`Migrations/directory`, `Migrations/cell`), in version order.
public struct MigrationSet: Sendable {
    /// A name for messages, usually the folder name (`directory`, `cell`).
    public let name: String
    /// The migrations, sorted by version, versions unique.
    public let migrations: [Migration]

    /// Creates a set from migrations in any order.
    /// - Throws: ``PostgresError/Code/migrationInvalid`` when two migrations share a version.
    public init(name: String, migrations: [Migration]) throws {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.version == next.version {
            throw PostgresError(.migrationInvalid, "migrations \(previous.fileName) and \(next.fileName) in \(name) share version \(next.version)")
        }
        self.name = name
        self.migrations = sorted
    }

    /// Loads every `.sql` file in `directory` (not recursive; other files are ignored). Reads files synchronously:
    /// call it at start-up, not on a request path.
    /// - Parameter directory: the folder, for example `<repo>/Migrations/cell`.
    /// - Throws: ``PostgresError/Code/migrationInvalid`` for an unreadable folder, a badly named `.sql` file, or duplicate versions.
    public static func load(directory: URL) throws -> MigrationSet {
        let name = directory.lastPathComponent
        let entries: [URL]
        do {
            entries = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        } catch {
            throw PostgresError(.migrationInvalid, "cannot read the \(name) migrations folder", detail: "\(directory.path): \(error)")
        }
        let migrations = try entries.filter { $0.pathExtension == "sql" }.map { file in
            do {
                return try Migration(fileName: file.lastPathComponent, contents: try Data(contentsOf: file))
            } catch let error as PostgresError {
                throw error
            } catch {
                throw PostgresError(.migrationInvalid, "cannot read migration \(file.lastPathComponent)", detail: "\(error)")
            }
        }
        return try MigrationSet(name: name, migrations: migrations)
    }
}

/// A row of `falaj_schema_migrations`: one migration applied to a database.
public struct AppliedMigration: Sendable, Hashable {
    /// The migration's version.
    public let version: Int
    /// The file name it was applied from.
    public let fileName: String
    /// The file's SHA-256 when it was applied.
    public let checksum: String
    /// When it was applied.
    public let appliedAt: Date
}
