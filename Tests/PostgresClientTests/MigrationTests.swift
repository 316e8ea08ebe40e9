import Foundation
import PostgresClient
import TestSupport
import Testing

@Suite struct MigrationTests {
    @Test func sha256MatchesNISTVectors() {
        #expect(MigrationChecksum.sha256Hex(Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(MigrationChecksum.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            MigrationChecksum.sha256Hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        )
        #expect(
            MigrationChecksum.sha256Hex([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        )
    }

    @Test func loadingRejectsBadNamesAndDuplicateVersions() throws {
        try withMigrationFolderSync(["0001_init.sql": "SELECT 1;", "README.md": "ignored"]) { folder in
            let set = try MigrationSet.load(directory: folder)
            #expect(set.migrations.map(\.fileName) == ["0001_init.sql"])
            #expect(set.migrations[0].checksum == MigrationChecksum.sha256Hex(Array("SELECT 1;".utf8)))
        }
        try withMigrationFolderSync(["0001_init.sql": "", "1_short.sql": ""]) { folder in
            let error = try #require(throws: PostgresError.self) { try MigrationSet.load(directory: folder) }
            #expect(error.code == .migrationInvalid)
            #expect(error.description.contains("1_short.sql"))
        }
        try withMigrationFolderSync(["0001_init.sql": "", "0001_again.sql": ""]) { folder in
            let error = try #require(throws: PostgresError.self) { try MigrationSet.load(directory: folder) }
            #expect(error.description.contains("share version 1"))
        }
    }

    @Test func appliesInOrderOnceAndRecordsChecksums() async throws {
        let files = [
            "0001_init.sql": "CREATE TABLE widgets (id int PRIMARY KEY);",
            "0002_add_name.sql": "ALTER TABLE widgets ADD COLUMN name text;\nCREATE INDEX widgets_name ON widgets (name);",
            "0010_seed.sql": "INSERT INTO widgets (id, name) VALUES (1, 'first');",
        ]
        try await withMigrationFolder(files) { folder in
            let migrator = Migrator(migrations: try MigrationSet.load(directory: folder))
            try await TestDatabase.withTemporary { database in
                try await withPool(database.configuration) { pool in
                    #expect(try await migrator.pending(pool).map(\.version) == [1, 2, 10])
                    #expect(try await migrator.migrate(pool).map(\.fileName) == ["0001_init.sql", "0002_add_name.sql", "0010_seed.sql"])
                    #expect(try await migrator.migrate(pool).isEmpty)
                    #expect(try await migrator.pending(pool).isEmpty)
                    let applied = try await pool.withConnection { try await migrator.applied(on: $0) }
                    #expect(applied.map(\.version) == [1, 2, 10])
                    #expect(applied.map(\.checksum) == migrator.migrations.migrations.map(\.checksum))
                    let name = try await pool.withConnection { try await $0.query("SELECT name FROM widgets")[0]["name", as: String.self] }
                    #expect(name == "first")
                }
            }
        }
    }

    @Test func changedOrMissingAppliedFileIsRefusedByName() async throws {
        try await TestDatabase.withTemporary { database in
            try await withPool(database.configuration) { pool in
                _ = try await withMigrationFolder(["0001_init.sql": "CREATE TABLE a (x int);", "0002_b.sql": "CREATE TABLE b (x int);"]) { folder in
                    try await Migrator(migrations: try MigrationSet.load(directory: folder)).migrate(pool)
                }
                try await withMigrationFolder(["0001_init.sql": "CREATE TABLE a (x bigint);", "0002_b.sql": "CREATE TABLE b (x int);"]) { folder in
                    let migrator = Migrator(migrations: try MigrationSet.load(directory: folder))
                    let error = try await #require(throws: PostgresError.self) { try await migrator.migrate(pool) }
                    #expect(error.code == .migrationChanged)
                    #expect(error.description.hasPrefix("migration 0001_init.sql was changed after it was applied (checksum "))
                    await #expect(throws: PostgresError.self) { try await migrator.pending(pool) }
                }
                try await withMigrationFolder(["0001_init.sql": "CREATE TABLE a (x int);", "0003_c.sql": "CREATE TABLE c (x int);"]) { folder in
                    let error = try await #require(throws: PostgresError.self) {
                        try await Migrator(migrations: try MigrationSet.load(directory: folder)).migrate(pool)
                    }
                    #expect(error.code == .migrationMissing)
                    #expect(error.description.contains("0002_b.sql"))
                    let tables = try await pool.withConnection {
                        try await $0.query("SELECT to_regclass('c') IS NULL AS absent")[0]["absent", as: Bool.self]
                    }
                    #expect(tables, "nothing is applied when verification fails")
                }
            }
        }
    }

    @Test func failingMigrationAppliesNothingOfItself() async throws {
        let files = [
            "0001_ok.sql": "CREATE TABLE ok (x int);",
            "0002_broken.sql": "CREATE TABLE half (x int);\nSELECT * FROM no_such_table;",
        ]
        try await withMigrationFolder(files) { folder in
            let migrator = Migrator(migrations: try MigrationSet.load(directory: folder))
            try await TestDatabase.withTemporary { database in
                try await withPool(database.configuration) { pool in
                    let error = try await #require(throws: PostgresError.self) { try await migrator.migrate(pool) }
                    #expect(error.code == .migrationFailed)
                    #expect(error.description.contains("0002_broken.sql"))
                    #expect(error.sqlState == "42P01")
                    #expect(try await migrator.pending(pool).map(\.fileName) == ["0002_broken.sql"])
                    let half = try await pool.withConnection {
                        try await $0.query("SELECT to_regclass('half') IS NULL AS absent")[0]["absent", as: Bool.self]
                    }
                    #expect(half)
                }
            }
        }
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() async throws {
        let files = [
            "0001_slow.sql": "SELECT pg_sleep(0.3); CREATE TABLE counted (x int);",
            "0002_insert.sql": "INSERT INTO counted VALUES (1);",
        ]
        try await withMigrationFolder(files) { folder in
            let set = try MigrationSet.load(directory: folder)
            try await TestDatabase.withTemporary { database in
                let results = try await withPool(database.configuration) { first in
                    try await withPool(database.configuration) { second in
                        async let a = Migrator(migrations: set).migrate(first)
                        async let b = Migrator(migrations: set).migrate(second)
                        return try await [a.count, b.count]
                    }
                }
                #expect(results.sorted() == [0, 2])
                let count = try await withConnection(database.configuration) { connection in
                    try await connection.query("SELECT count(*) AS n FROM counted")[0]["n", as: Int.self]
                }
                #expect(count == 1)
            }
        }
    }

    @Test func repositoryMigrationsApply() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for folder in ["directory", "cell"] {
            let set = try MigrationSet.load(directory: root.appendingPathComponent("Migrations/\(folder)"))
            #expect(set.migrations.first?.fileName.hasPrefix("0001_") == true)
            try await TestDatabase.withTemporary { database in
                let (applied, pending) = try await withPool(database.configuration) { pool in
                    (try await Migrator(migrations: set).migrate(pool), try await Migrator(migrations: set).pending(pool))
                }
                #expect(applied.count == set.migrations.count)
                #expect(pending.isEmpty)
            }
        }
    }
}

/// A temporary folder holding `files` (name → contents), removed after `body`.
func withMigrationFolder<Result>(_ files: [String: String], _ body: (URL) async throws -> Result) async throws -> Result {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("falaj-migrations-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    for (name, contents) in files {
        try Data(contents.utf8).write(to: folder.appendingPathComponent(name))
    }
    return try await body(folder)
}

/// The synchronous variant of `withMigrationFolder`.
func withMigrationFolderSync<Result>(_ files: [String: String], _ body: (URL) throws -> Result) throws -> Result {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("falaj-migrations-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    for (name, contents) in files {
        try Data(contents.utf8).write(to: folder.appendingPathComponent(name))
    }
    return try body(folder)
}
