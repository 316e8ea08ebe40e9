public import Foundation
import PostgresClient

/// One gate's outcome for a promotion.
public struct GateResult: Sendable, Equatable, Codable {
    /// The gate (`metric:roc_auc`, `approval`, `compliance:training_residency`, …).
    public var gate: String
    /// Whether it passed.
    public var passed: Bool
    /// What was checked, in words ("roc_auc 0.91 ≥ 0.80").
    public var detail: String

    /// Creates a result.
    public init(gate: String, passed: Bool, detail: String) {
        self.gate = gate
        self.passed = passed
        self.detail = detail
    }
}

/// A request to point an alias at a version, and what became of it.
public struct Promotion: Sendable, Equatable {
    /// The states.
    public enum State: String, Sendable, Codable {
        /// Waiting for a reviewer.
        case pending
        /// The alias moved.
        case applied
        /// A gate failed; nothing moved.
        case blocked
        /// A reviewer refused.
        case rejected
        /// Another promotion of the alias was applied first.
        case superseded
    }

    /// The request's id.
    public var id: UUID
    /// The candidate version.
    public var version: Int
    /// The alias.
    public var alias: String
    /// Its state.
    public var state: State
    /// The version the alias pointed at when requested.
    public var previousVersion: Int?
    /// Every gate's outcome (at request, and again at approval).
    public var gateResults: [GateResult]
    /// The requester's reason, then the reviewer's.
    public var reason: String
    /// Who asked.
    public var requestedBy: String
    /// Who approved or rejected.
    public var decidedBy: String?
    /// When it was asked.
    public var createdAt: Date
    /// When it was decided.
    public var decidedAt: Date?

    init(_ row: PostgresRow) throws {
        id = try row["id", as: UUID.self]
        version = try row["version", as: Int.self]
        alias = try row["alias", as: String.self]
        state = State(rawValue: try row["state", as: String.self]) ?? .blocked
        previousVersion = try row["previous_version", as: Int?.self]
        gateResults = try row["gate_results", as: PostgresJSON.self].decode([GateResult].self)
        reason = try row["reason", as: String.self]
        requestedBy = try row["requested_by", as: String.self]
        decidedBy = try row["decided_by", as: String?.self]
        createdAt = try row["created_at", as: Date.self]
        decidedAt = try row["decided_at", as: Date?.self]
    }

    /// The failed gates' details, joined, for error messages.
    public var failures: String { gateResults.filter { !$0.passed }.map { "\($0.gate): \($0.detail)" }.joined(separator: "; ") }
}
