/// A tenant's residency policy (directory table `tenant_residency_policies`, migration `directory/0003`).
public struct ResidencyPolicy: Sendable, Equatable, Codable {
    /// The region of the tenant's cell; fixed after creation (only an operator migration moves it).
    public var homeRegion: String
    /// Regions besides home where its jobs and replicas may run, sorted; empty (the default) means home only.
    public var allowedProcessingRegions: [String]
    /// Whether data may leave the home region's jurisdiction at all (default false).
    public var isCrossBorderTransferAllowed: Bool

    /// Creates a policy.
    /// - Parameters:
    ///   - allowedProcessingRegions: defaults to none (home only).
    ///   - isCrossBorderTransferAllowed: defaults to false.
    public init(homeRegion: String, allowedProcessingRegions: [String] = [], isCrossBorderTransferAllowed: Bool = false) {
        self.homeRegion = homeRegion
        self.allowedProcessingRegions = allowedProcessingRegions
        self.isCrossBorderTransferAllowed = isCrossBorderTransferAllowed
    }

    /// Home plus the allowed processing regions.
    public var processingRegions: [String] { [homeRegion] + allowedProcessingRegions.filter { $0 != homeRegion } }
}

/// A placement that ``Placement/decide(_:_:in:catalog:tenantName:)`` refused, thrown by
/// ``ResidencyPolicies/check(tenant:homeRegion:tenantName:operation:region:actor:requestID:sourceIP:)`` after the
/// refusal was audited. The portal answers 403 naming ``rule``.
public struct PlacementRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rule that refused it.
    public var rule: PlacementRule
    /// What was asked.
    public var operation: PlacementOperation
    /// The region asked about.
    public var region: String
    /// The plain-language explanation for the tenant.
    public var explanation: String

    /// Creates a refusal.
    public init(rule: PlacementRule, operation: PlacementOperation, region: String, explanation: String) {
        self.rule = rule
        self.operation = operation
        self.region = region
        self.explanation = explanation
    }

    /// The explanation.
    public var description: String { explanation }
}

/// A residency policy update the tenant must correct: field name → message (`allowed_processing_regions`).
public struct ResidencyPolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Field name → a sentence for the user.
    public var fields: [String: String]

    /// Creates an error for one field.
    public init(field: String, _ message: String) { self.fields = [field: message] }

    /// The messages, by field name.
    public var description: String { fields.sorted { $0.key < $1.key }.map(\.value).joined(separator: " ") }
}
