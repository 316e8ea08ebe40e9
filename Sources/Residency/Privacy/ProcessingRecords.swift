/// One category of personal data in the records of processing activities (GDPR Art. 30, UAE PDPL Art. 7).
public struct ProcessingActivity: Sendable, Equatable {
    /// The category's name, e.g. `Member accounts`.
    public var category: String
    /// The fields stored.
    public var fields: [String]
    /// Why they are processed.
    public var purpose: String
    /// The legal basis (GDPR Art. 6(1)).
    public var legalBasis: String
    /// The retention category whose tenant policy limits how long it is kept; nil when kept while the account exists.
    public var retentionCategory: String?
    /// How long it is kept when ``retentionCategory`` is nil.
    public var fixedRetention: String
}

/// A processing activity as one tenant's records show it: with the tenant's retention and where the data lives.
public struct ProcessingRecord: Sendable, Equatable {
    /// The activity.
    public var activity: ProcessingActivity
    /// How long it is kept, in words (from the tenant's policy when the category has one).
    public var retention: String
    /// The home region id that holds it.
    public var region: String
    /// The ISO country of that region's data centre.
    public var country: String
    /// The jurisdiction whose law governs it.
    public var jurisdiction: String
}

/// The static table of personal data the platform stores for a tenant. Every module that adds a table holding
/// personal data adds its row here (reviewed with the migration); the page and API render it per tenant.
public enum ProcessingRecords {
    /// Every activity, in display order.
    public static let activities: [ProcessingActivity] = [
        ProcessingActivity(
            category: "Member accounts", fields: ["e-mail address", "display name", "password hash (argon2id)", "MFA secret (sealed)"],
            purpose: "Identify members and let them sign in", legalBasis: "Contract (Art. 6(1)(b))", retentionCategory: nil,
            fixedRetention: "While the member belongs to the organisation; erased on request"
        ),
        ProcessingActivity(
            category: "Memberships and roles", fields: ["role", "joined at"], purpose: "Decide what each member may do",
            legalBasis: "Contract (Art. 6(1)(b))", retentionCategory: nil, fixedRetention: "While the member belongs to the organisation"
        ),
        ProcessingActivity(
            category: "Sign-in sessions", fields: ["client IP address", "user agent", "times of use"],
            purpose: "Keep members signed in and let them see and end their sessions", legalBasis: "Legitimate interest: security (Art. 6(1)(f))",
            retentionCategory: RetentionCategory.sessions.id, fixedRetention: ""
        ),
        ProcessingActivity(
            category: "API keys", fields: ["name", "public prefix", "permissions", "times of use"], purpose: "Authenticate programmatic access",
            legalBasis: "Contract (Art. 6(1)(b))", retentionCategory: nil, fixedRetention: "Until revoked or the member is removed"
        ),
        ProcessingActivity(
            category: "Invitations", fields: ["invitee e-mail address", "role", "inviting member"], purpose: "Invite people to join",
            legalBasis: "Legitimate interest: onboarding (Art. 6(1)(f))", retentionCategory: RetentionCategory.invitations.id, fixedRetention: ""
        ),
        ProcessingActivity(
            category: "Outgoing messages", fields: ["recipient e-mail address", "subject", "body"], purpose: "Deliver invitations and alerts",
            legalBasis: "Contract (Art. 6(1)(b))", retentionCategory: RetentionCategory.outbox.id, fixedRetention: ""
        ),
        ProcessingActivity(
            category: "Audit trail", fields: ["pseudonymous actor id", "action", "client IP address", "request id"],
            purpose: "Prove who did what (security and accountability)", legalBasis: "Legal obligation and legitimate interest (Art. 6(1)(c), (f))",
            retentionCategory: nil, fixedRetention: "For the life of the organisation; actor ids stay pseudonymous after erasure"
        ),
        ProcessingActivity(
            category: "Job logs", fields: ["log lines written by the tenant's code"], purpose: "Let members debug training and serving",
            legalBasis: "Contract (Art. 6(1)(b))", retentionCategory: RetentionCategory.jobLogs.id, fixedRetention: ""
        ),
        ProcessingActivity(
            category: "Prediction payloads", fields: ["inputs and outputs of logged predictions"], purpose: "Monitoring and drift detection",
            legalBasis: "Contract (Art. 6(1)(b)), as instructed by the organisation", retentionCategory: RetentionCategory.predictionPayloads.id,
            fixedRetention: ""
        ),
    ]

    /// The tenant's records: every activity with the tenant's retention and home region.
    /// - Parameters:
    ///   - policies: the tenant's effective retention policies.
    ///   - region: the tenant's home region.
    public static func records(policies: [RetentionPolicy], region: Region) -> [ProcessingRecord] {
        activities.map { activity in
            let retention: String
            if let id = activity.retentionCategory, let policy = policies.first(where: { $0.category.id == id }) {
                retention = "\(policy.days) days (\(policy.category.summary.lowercased()))"
            } else {
                retention = activity.fixedRetention
            }
            return ProcessingRecord(
                activity: activity, retention: retention, region: region.id, country: region.country, jurisdiction: region.jurisdiction
            )
        }
    }
}
