public import Foundation
import PostgresClient
import Tenancy

/// A project of a tenant: the container of its datasets, feature groups, runs and models.
public struct Project: Sendable, Equatable {
    /// The id.
    public var id: UUID
    /// The name in URLs (`/app/projects/<slug>`), unique in the tenant.
    public var slug: String
    /// The display name.
    public var name: String
    /// What it is for.
    public var description: String
    /// `user:<uuid>` or `api_key:<uuid>`.
    public var createdBy: String
    /// When it was created.
    public var createdAt: Date
    /// True when only the members on its access list (and member managers) see it.
    public var isRestricted: Bool

    init(_ row: PostgresRow) throws {
        id = try row["id", as: UUID.self]
        slug = try row["slug", as: String.self]
        name = try row["name", as: String.self]
        description = try row["description", as: String.self]
        createdBy = try row["created_by", as: String.self]
        createdAt = try row["created_at", as: Date.self]
        isRestricted = try row["restricted", as: Bool.self]
    }
}

/// What creating a project takes.
public struct ProjectForm: Sendable, Equatable {
    /// The display name (1–100 characters).
    public var name: String
    /// The URL name; nil or empty: made from the name.
    public var slug: String?
    /// What it is for (at most 2,000 characters).
    public var description: String

    /// Creates a form.
    public init(name: String, slug: String? = nil, description: String = "") {
        self.name = name
        self.slug = slug
        self.description = description
    }
}

/// The rules for the URL names of projects and datasets.
public enum PlatformName {
    /// 2–40 lower-case ASCII letters, digits and inner hyphens (`churn-model`).
    public static func projectSlugProblem(_ slug: String) -> String? {
        problem(slug, maximum: 40, allowsUnderscore: false, what: "a project's URL name")
    }

    /// 2–60 lower-case ASCII letters, digits and inner hyphens or underscores (`customers_2026`).
    public static func datasetNameProblem(_ name: String) -> String? {
        problem(name, maximum: 60, allowsUnderscore: true, what: "a dataset name")
    }

    /// 2–60 lower-case ASCII letters, digits and inner hyphens (`churn-api`): a deployment's endpoint name.
    public static func deploymentNameProblem(_ name: String) -> String? {
        problem(name, maximum: 60, allowsUnderscore: false, what: "a deployment name")
    }

    /// A URL name made from a display name (`Churn Model` → `churn-model`), cut to 40 characters; nil when nothing usable is left.
    public static func slug(from name: String) -> String? {
        let made = Slug.make(from: name)
        return projectSlugProblem(made) == nil ? made : nil
    }

    private static func problem(_ text: String, maximum: Int, allowsUnderscore: Bool, what: String) -> String? {
        let bytes = Array(text.utf8)
        func isAlphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        let inner = allowsUnderscore ? "hyphens or underscores" : "hyphens"
        let rule = "Use 2–\(maximum) lower-case letters, digits and \(inner) for \(what), starting and ending with a letter or digit"
        guard (2...maximum).contains(bytes.count), isAlphanumeric(bytes[0]), isAlphanumeric(bytes[bytes.count - 1]) else { return rule }
        let valid = bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || (allowsUnderscore && $0 == UInt8(ascii: "_")) }
        return valid ? nil : rule
    }
}

extension RequestContext {
    /// Throws ``PlatformError/forbidden(_:)`` unless the actor holds `permission`.
    func requirePlatform(_ permission: Permission) throws(PlatformError) {
        do {
            try require(permission)
        } catch {
            throw .forbidden(error.description)
        }
    }

    /// Who made a row: `user:<uuid>` or `api_key:<uuid>` (`system` for Falaj itself).
    var platformActor: String {
        switch actor {
        case .user(let id): "user:\(id.uuidString.lowercased())"
        case .apiKey(let id, _): "api_key:\(id.uuidString.lowercased())"
        case .operator(let id): "operator:\(id.uuidString.lowercased())"
        case .system: "system"
        }
    }
}
