import AgentProtocol
import ComputeAgents
import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// The join-token form: region, labels ("k=v, k=v"), description, max uses, expiry in hours (and, for operators, the
/// organisation the nodes are dedicated to).
enum NodeForms {
    /// What an empty form shows.
    static let defaults = ["region": "", "labels": "", "description": "", "max_uses": "1", "expires_hours": "24", "tenant": ""]

    /// The submitted values, to show them again after an error.
    static func values(_ form: FormData) -> [String: String] {
        Dictionary(defaults.keys.map { ($0, form[$0]) }, uniquingKeysWith: { first, _ in first })
    }

    /// The domain request; unreadable numbers and labels are field errors, all reported at once.
    static func tokenRequest(_ form: FormData, tenant: TenantID?) throws -> JoinTokenRequest {
        var errors: [String: String] = [:]
        var labels: [String: String] = [:]
        do {
            labels = try NodesAPI.labels(from: form["labels"])
        } catch ComputeAgentsError.invalidFields(let fields) {
            errors.merge(fields) { first, _ in first }
        }
        let maxUses = Int(form["max_uses"].trimmingCharacters(in: .whitespaces))
        if maxUses == nil { errors["max_uses"] = "Enter how many nodes the token may enrol, such as 1" }
        let hours = Int(form["expires_hours"].trimmingCharacters(in: .whitespaces))
        if hours == nil || !(1...720).contains(hours!) { errors["expires_hours"] = "Choose between 1 and 720 hours (30 days)" }
        if form["region"].isEmpty { errors["region"] = "Choose the region the nodes are in" }
        guard errors.isEmpty, let maxUses, let hours else { throw ComputeAgentsError.invalidFields(errors) }
        return JoinTokenRequest(
            region: form["region"], dedicatedTenantID: tenant, labels: labels, description: form["description"], maxUses: maxUses,
            lifetimeSeconds: hours * 3600
        )
    }

    /// Field errors on the form's fields; anything else (a residency refusal) as the form error.
    static func failure(_ error: ComputeAgentsError) -> (context: [String: Any], status: HTTPResponse.Status) {
        guard case .invalidFields(let fields) = error else { return (["formError": error.publicMessage], error.status) }
        let names = ["expires_in_hours": "expires_hours", "lifetime_seconds": "expires_hours", "dedicated_tenant_id": "tenant"]
        let errors = Dictionary(fields.map { (names[$0.key] ?? $0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        let unknown = errors.filter { !defaults.keys.contains($0.key) }.map(\.value).sorted()
        let formError = unknown.isEmpty ? "Please correct the highlighted fields." : unknown.joined(separator: " ")
        return (["errors": errors, "formError": formError], error.status)
    }
}

/// View models of nodes and join tokens for the templates.
enum NodeViews {
    /// The status badge: ready green, busy blue, draining amber, lost and revoked red.
    static func badge(_ status: String) -> String {
        switch status {
        case "ready": "badge ok"
        case "busy": "badge info"
        case "draining": "badge warn"
        default: "badge bad"
        }
    }

    /// One row of a nodes table.
    static func node(_ agent: AgentSummary, tenantNames: [String: String]) -> [String: Any] {
        let inventory = agent.inventory
        let gpuNames = Dictionary(grouping: inventory.gpus, by: \.name).sorted { $0.key < $1.key }.map { "\($0.value.count)× \($0.key)" }
        let tenant = agent.dedicatedTenantID.map { tenantNames[$0.description] ?? $0.description }
        var usage = [String(format: "CPU %.0f%%", agent.utilization.cpuPercent)]
        if inventory.memoryBytes > 0 {
            usage.append(String(format: "mem %.0f%%", Double(agent.utilization.memoryUsedBytes) / Double(inventory.memoryBytes) * 100))
        }
        if let gpu = agent.utilization.gpuPercent { usage.append(String(format: "GPU %.0f%%", gpu)) }
        return [
            "id": agent.id.uuidString.lowercased(), "shortID": String(agent.id.uuidString.lowercased().prefix(8)), "hostname": inventory.hostname, "region": agent.region,
            "labels": inventory.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "),
            "cpu": "\(inventory.cpuCores) cores", "cpuModel": inventory.cpuModel, "memory": JobView.bytes(inventory.memoryBytes),
            "gpus": gpuNames.isEmpty ? "—" : gpuNames.joined(separator: ", "), "utilization": usage.joined(separator: " · "),
            "runningJobs": agent.runningJobs, "status": agent.displayStatus, "badge": badge(agent.displayStatus),
            "version": inventory.agentVersion, "lastSeen": Pages.format(agent.lastSeenAt),
            "tenant": tenant ?? "shared", "isDedicated": tenant != nil,
            "canDrain": agent.status == .ready, "canRevoke": agent.status != .revoked,
        ]
    }

    /// One row of a join-tokens table.
    static func token(_ token: JoinTokenSummary, tenantNames: [String: String]) -> [String: Any] {
        let status = token.revokedAt != nil ? "revoked" : token.uses >= token.maxUses ? "used up" : token.expiresAt <= Date() ? "expired" : "usable"
        return [
            "id": token.id.uuidString.lowercased(), "prefix": token.displayPrefix, "description": token.description,
            "hasDescription": !token.description.isEmpty, "region": token.region,
            "labels": token.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "),
            "uses": "\(token.uses)/\(token.maxUses)", "expires": Pages.format(token.expiresAt), "created": Pages.format(token.createdAt),
            "createdBy": token.createdBy, "status": status, "badge": token.isUsable ? "badge ok" : "badge warn", "isUsable": token.isUsable,
            "tenant": token.dedicatedTenantID.map { tenantNames[$0.description] ?? $0.description } ?? "shared",
        ]
    }

    /// The once-only notice of a new token.
    static func created(_ created: CreatedJoinTokenJSON) -> [String: Any] {
        [
            "token": created.token, "command": created.joinCommand, "region": created.joinToken.region, "maxUses": created.joinToken.maxUses,
            "expires": Pages.format(created.joinToken.expiresAt),
        ]
    }
}
