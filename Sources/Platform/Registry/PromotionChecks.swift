public import Foundation
public import PostgresClient

/// The version a promotion would point an alias at, as compliance checks see it.
public struct PromotionCandidate: Sendable {
    /// The registered model's id.
    public var modelID: UUID
    /// The model's name.
    public var modelName: String
    /// The version.
    public var version: ModelVersion
    /// The alias it would get.
    public var alias: String
}

/// A compliance check a promotion must pass when its model's gates ask for compliance. It runs inside the promotion's
/// transaction, in the tenant's cell under its row-level security; it must only read.
public protocol PromotionCheck: Sendable {
    /// The check's name, shown as `compliance:<name>`.
    var name: String { get }
    /// Whether the candidate passes, with a sentence saying what was checked.
    nonisolated(nonsending) func evaluate(_ candidate: PromotionCandidate, on connection: PostgresConnection) async throws -> GateResult
}

/// Traceability (ISO 27001 A.8.32 change control): a promoted version must come from a run whose job and inputs are
/// on record, so who trained it on what can always be answered.
struct LineageCheck: PromotionCheck {
    var name: String { "lineage" }

    nonisolated(nonsending) func evaluate(_ candidate: PromotionCandidate, on connection: PostgresConnection) async throws -> GateResult {
        let gate = "compliance:" + name
        guard let run = candidate.version.lineage.run else {
            return GateResult(gate: gate, passed: false, detail: "version \(candidate.version.version) has no run on record")
        }
        let exists = try await !connection.query("SELECT 1 FROM jobs WHERE id = \(run.job)").isEmpty
        guard exists else { return GateResult(gate: gate, passed: false, detail: "run \(run.number)'s job is no longer on record") }
        return GateResult(gate: gate, passed: true, detail: "trained by run \(run.number) (\(run.experiment)) as job \(run.job.uuidString.lowercased())")
    }
}

/// Residency (UAE PDPL, GDPR): every attempt of the run's job ran on an agent in a region the tenant's residency
/// policy allowed for that job.
struct TrainingResidencyCheck: PromotionCheck {
    var name: String { "training_residency" }

    nonisolated(nonsending) func evaluate(_ candidate: PromotionCandidate, on connection: PostgresConnection) async throws -> GateResult {
        let gate = "compliance:" + name
        guard let run = candidate.version.lineage.run else {
            return GateResult(gate: gate, passed: false, detail: "no run on record, so where it was trained is unknown")
        }
        let rows = try await connection.query(
            """
            SELECT a.agent_region, a.agent_region = ANY (j.allowed_regions) AS allowed
            FROM job_attempts a JOIN jobs j ON j.id = a.job_id
            WHERE a.job_id = \(run.job) AND a.state <> 'assigned'
            """
        )
        let regions = Set(try rows.map { try $0["agent_region", as: String.self] }).sorted()
        let outside = Set(try rows.filter { try !$0["allowed", as: Bool.self] }.map { try $0["agent_region", as: String.self] }).sorted()
        if !outside.isEmpty {
            return GateResult(gate: gate, passed: false, detail: "trained in \(outside.joined(separator: ", ")), outside the regions allowed for it")
        }
        guard !regions.isEmpty else { return GateResult(gate: gate, passed: false, detail: "no attempt of the run's job is on record") }
        return GateResult(gate: gate, passed: true, detail: "trained only in \(regions.joined(separator: ", ")), as the residency policy allowed")
    }
}
