import Logging

extension PostgresConnection {
    /// Runs `body` inside a transaction on this connection.
    ///
    /// Sends `BEGIN`, applies each setting with `SELECT set_config($1, $2, true)` (visible to this transaction
    /// only; this is how the tenant id reaches row-level security policies), runs `body`, and sends `COMMIT`.
    /// When `body` throws, sends `ROLLBACK` and rethrows the body's error.
    /// - Parameters:
    ///   - settings: configuration parameters to set for the transaction, such as `("app.tenant_id", id)`; default none.
    ///   - body: the work; it must not send `COMMIT` or `ROLLBACK` itself.
    /// - Throws: the body's error; ``PostgresError/Code/transactionRolledBack`` when a statement failed inside the body
    ///   but the body caught its error (the server then rolls back instead of committing).
    @discardableResult
    public nonisolated(nonsending) func withTransaction<Result>(
        settings: [(name: String, value: String)] = [],
        file: String = #fileID,
        line: Int = #line,
        _ body: nonisolated(nonsending) (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await execute("BEGIN", file: file, line: line)
        let result: Result
        do {
            if !settings.isEmpty {  // all in one round trip
                _ = try await query(
                    "SELECT set_config(s.name, s.value, true) FROM unnest(\(settings.map(\.name))::text[], \(settings.map(\.value))::text[]) AS s(name, value)",
                    file: file, line: line
                )
            }
            result = try await body(self)
        } catch {
            if isOpen {
                do {
                    try await execute("ROLLBACK", file: file, line: line)
                } catch {
                    logger.warning("postgres rollback failed", metadata: ["error": "\(String(reflecting: error))"])
                    close()
                }
            }
            throw error
        }
        let commit = try await run("COMMIT", file: file, line: line)
        guard commit.commandTag == "COMMIT" else {
            throw PostgresError(
                .transactionRolledBack,
                "the transaction was rolled back because a statement in it failed",
                detail: "COMMIT answered \(commit.commandTag)",
                file: file,
                line: line
            )
        }
        return result
    }
}
