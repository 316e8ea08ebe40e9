/// What a tenant wants to do with its data in a region.
public enum PlacementOperation: String, Sendable, Codable, CaseIterable {
    /// Keep rows or blobs there (at rest).
    case store
    /// Run jobs or model replicas there on the tenant's data.
    case process
    /// Send a copy of the tenant's data there (export, replication).
    case transfer

    /// The past participle for explanations: "stored", "processed", "sent".
    var participle: String {
        switch self {
        case .store: "stored"
        case .process: "processed"
        case .transfer: "sent"
        }
    }
}

/// The rule that refused a placement, named in errors, problem documents and audit events.
///
/// A struct rather than an enum so later rules (quotas, sanctions lists) can be added without breaking callers.
public struct PlacementRule: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The rule's stable name, e.g. `home-region-only`.
    public let rawValue: String

    /// Wraps a rule name.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Data is stored only in the tenant's home region.
    public static let homeRegionOnly = PlacementRule(rawValue: "home-region-only")
    /// The region is not in the catalog.
    public static let regionUnknown = PlacementRule(rawValue: "region-unknown")
    /// The region is in the catalog but not open (planned, retired, or draining for anyone but its own tenants).
    public static let regionNotActive = PlacementRule(rawValue: "region-not-active")
    /// Processing outside home needs the region in the policy's allowed list.
    public static let processingRegionNotAllowed = PlacementRule(rawValue: "processing-region-not-allowed")
    /// The region is in another jurisdiction and the policy forbids cross-border transfer.
    public static let crossBorderProhibited = PlacementRule(rawValue: "cross-border-prohibited")

    /// The rule's name.
    public var description: String { rawValue }
}

/// The answer to a placement question.
public enum PlacementDecision: Sendable, Equatable {
    /// The operation may happen in that region.
    case allow
    /// It may not: `rule` names why, `explanation` says it in words for the tenant.
    case refuse(rule: PlacementRule, explanation: String)

    /// Whether the decision allows the operation.
    public var isAllowed: Bool { self == .allow }

    /// The refusing rule, or nil when allowed.
    public var rule: PlacementRule? {
        if case .refuse(let rule, _) = self { return rule }
        return nil
    }
}

/// The single placement function: "may tenant T's data be stored in / processed in / sent to region R?"
///
/// Pure and synchronous: the scheduler, the blob store, exports and replication all ask it (usually through
/// ``ResidencyPolicies/check(tenant:homeRegion:tenantName:operation:region:actor:requestID:sourceIP:)``, which also
/// audits refusals).
public enum Placement {
    /// Decides one placement question.
    ///
    /// Rules, in order: the region must be in `catalog` (`region-unknown`) and open — `active`, or the tenant's own
    /// home while `draining` (`region-not-active`). Store: home only (`home-region-only`). Process: home, or a region
    /// in the policy's allowed list (`processing-region-not-allowed`) that shares the home jurisdiction unless
    /// cross-border transfer is allowed (`cross-border-prohibited`). Transfer: same jurisdiction, or cross-border
    /// transfer allowed (`cross-border-prohibited`).
    /// - Parameters:
    ///   - policy: the tenant's residency policy.
    ///   - operation: what the tenant's data would undergo.
    ///   - regionID: the region asked about.
    ///   - catalog: every region of the installation (including planned and retired ones).
    ///   - tenantName: the organisation's name, for the explanation.
    public static func decide(
        _ policy: ResidencyPolicy,
        _ operation: PlacementOperation,
        in regionID: String,
        catalog: [Region],
        tenantName: String
    ) -> PlacementDecision {
        let shownID = String(regionID.prefix(40))
        guard let home = catalog.first(where: { $0.id == policy.homeRegion }) else {
            return .refuse(
                rule: .regionUnknown,
                explanation: "The home region \(policy.homeRegion) of \(tenantName) is not in this installation's region catalog"
            )
        }
        guard let region = catalog.first(where: { $0.id == regionID }) else {
            return .refuse(rule: .regionUnknown, explanation: "There is no region '\(shownID)' in this installation; tenant data of \(tenantName) cannot be \(operation.participle) there")
        }
        let isHome = region.id == home.id
        guard region.isActive || (isHome && region.status == "draining") else {
            return .refuse(
                rule: .regionNotActive,
                explanation: "Region \(region.id) is \(region.status), not active; tenant data of \(tenantName) cannot be \(operation.participle) there"
            )
        }
        let isSameJurisdiction = region.jurisdiction == home.jurisdiction
        let crossBorder = "\(region.id) is in \(Jurisdiction.phrase(region.jurisdiction)) and cross-border transfer is not permitted by the tenant's policy"
        switch operation {
        case .store:
            guard isHome else {
                return .refuse(
                    rule: .homeRegionOnly,
                    explanation: "Tenant data of \(tenantName) may only be stored in its home region \(describe(home)); \(region.id) is not its home region"
                )
            }
            return .allow
        case .process:
            if isHome { return .allow }
            let permitted = ([home.id] + policy.allowedProcessingRegions.filter { $0 != home.id }).joined(separator: ", ")
            guard policy.allowedProcessingRegions.contains(region.id) else {
                return .refuse(
                    rule: .processingRegionNotAllowed,
                    explanation: "Tenant data of \(tenantName) may only be processed in \(permitted); \(region.id) is not an allowed processing region in the tenant's policy"
                )
            }
            guard isSameJurisdiction || policy.isCrossBorderTransferAllowed else {
                return .refuse(
                    rule: .crossBorderProhibited,
                    explanation: "Tenant data of \(tenantName) may only be processed in \(describe(home)); \(crossBorder)"
                )
            }
            return .allow
        case .transfer:
            guard isSameJurisdiction || policy.isCrossBorderTransferAllowed else {
                return .refuse(
                    rule: .crossBorderProhibited,
                    explanation: "Tenant data of \(tenantName) may not be sent outside \(Jurisdiction.phrase(home.jurisdiction)); \(crossBorder)"
                )
            }
            return .allow
        }
    }

    /// `me-central-1 (UAE)`.
    static func describe(_ region: Region) -> String { "\(region.id) (\(Jurisdiction.name(region.jurisdiction)))" }
}

/// Plain-language names of jurisdiction codes.
enum Jurisdiction {
    private static let names: [String: (name: String, phrase: String)] = [
        "AE": ("UAE", "the UAE"), "EU": ("EU", "the EU"), "US": ("US", "the US"), "GB": ("UK", "the UK"),
        "SA": ("Saudi Arabia", "Saudi Arabia"), "QA": ("Qatar", "Qatar"), "CH": ("Switzerland", "Switzerland"),
    ]

    /// A short name, e.g. `UAE`; the code itself when unknown.
    static func name(_ code: String) -> String { names[code]?.name ?? code }

    /// A phrase after "in", e.g. `the EU`; the code itself when unknown.
    static func phrase(_ code: String) -> String { names[code]?.phrase ?? code }
}
