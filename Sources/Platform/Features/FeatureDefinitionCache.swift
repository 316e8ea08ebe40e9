import Foundation
import PostgresClient
import Synchronization
import Tenancy

/// The in-process cache of what an online read needs to know about a project before it reads values: the project
/// (and its access list), its feature groups with their latest schemas, and its feature services. With it, a warm
/// online read makes no database round trip after authentication.
///
/// Correctness across control-plane replicas works like ``OnlineFeatureCache``: every change to these definitions
/// (a group created, versioned or edited, a feature service saved or deleted, a project's access changed) NOTIFYs
/// `falaj_features` with `def:<tenant id>` at commit, and every replica drops that tenant's entries; a reader takes
/// the tenant's generation before it reads the database and stores under it, so a change committed during the read
/// leaves nothing stale behind. Entries expire after ``maximumAge`` as a safety net, and the cache holds at most
/// ``capacity`` projects (emptied when full).
final class FeatureDefinitionCache: Sendable {
    /// One project's definitions as read at one moment.
    struct Definitions: Sendable {
        var project: Project
        /// Members on the project's access list (used when it is restricted).
        var members: Set<UUID>
        /// The project's feature groups by name (latest versions).
        var groups: [String: FeatureGroup]
        /// The project's feature services: name → feature references.
        var services: [String: [String]]

        /// Whether the actor of `request` may see the project (the rule of `Projects.visibility`).
        func isVisible(to request: RequestContext) -> Bool {
            let visibility = Projects.visibility(request)
            return !project.isRestricted || visibility.seesAll || visibility.user.map(members.contains) == true
        }
    }

    private struct Entry {
        var generation: UInt64
        var readAt: ContinuousClock.Instant
        var definitions: Definitions?
    }

    private struct Key: Hashable {
        var tenant: UUID
        var project: String
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var generations: [UUID: UInt64] = [:]
        var epoch: UInt64 = 0
    }

    /// The payload prefix of a definitions change in `falaj_features` notifications.
    static let notificationPrefix = "def:"

    /// Entries older than this are not used (default 30 s).
    let maximumAge: Duration
    /// The most projects kept (default 10,000).
    let capacity: Int
    private let state = Mutex(State())

    init(maximumAge: Duration = .seconds(30), capacity: Int = 10_000) {
        self.maximumAge = maximumAge
        self.capacity = capacity
    }

    /// The generation to read `tenant`'s definitions under: take it before reading the database.
    func generation(of tenant: UUID) -> UInt64 {
        state.withLock { $0.epoch &+ ($0.generations[tenant] ?? 0) }
    }

    /// The cached definitions of project `slug` (`.some(nil)`: the tenant has no such project), if current.
    func lookup(tenant: UUID, project slug: String) -> Definitions?? {
        state.withLock { state in
            guard let entry = state.entries[Key(tenant: tenant, project: slug)],
                entry.generation == state.epoch &+ (state.generations[tenant] ?? 0), entry.readAt.duration(to: .now) < maximumAge
            else { return nil }
            return .some(entry.definitions)
        }
    }

    /// Stores what was read under `generation`; dropped when the tenant changed since.
    func store(tenant: UUID, project slug: String, generation: UInt64, definitions: Definitions?) {
        state.withLock { state in
            guard generation == state.epoch &+ (state.generations[tenant] ?? 0) else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[Key(tenant: tenant, project: slug)] = Entry(generation: generation, readAt: .now, definitions: definitions)
        }
    }

    /// Drops every cached definition of `tenant`.
    func invalidate(tenant: UUID) {
        state.withLock { state in
            state.generations[tenant, default: 0] &+= 1
            state.entries = state.entries.filter { $0.key.tenant != tenant }
        }
    }

    /// Drops everything (a listener (re)connected and may have missed notifications).
    func invalidateAll() {
        state.withLock { state in
            state.epoch &+= 1
            state.generations.removeAll()
            state.entries.removeAll()
        }
    }

    /// Reads project `slug`'s definitions from the database in the caller's tenant transaction; nil when the tenant
    /// has no such project (visibility is checked by the caller, per actor).
    nonisolated(nonsending) static func load(project slug: String, on connection: PostgresConnection) async throws -> Definitions? {
        guard let row = try await connection.query("SELECT * FROM projects WHERE slug = \(slug)").first else { return nil }
        let project = try Project(row)
        let members = try await connection.query("SELECT user_id FROM project_members WHERE project_id = \(project.id)").map { try $0["user_id", as: UUID.self] }
        let groups = try await connection.query(FeatureGroups.selectGroups("WHERE g.project_id = \(project.id)")).map(FeatureGroup.init)
        let services = try await connection.query("SELECT name, features FROM feature_services WHERE project_id = \(project.id)").map {
            (try $0["name", as: String.self], try $0["features", as: [String].self])
        }
        return Definitions(
            project: project, members: Set(members), groups: Dictionary(uniqueKeysWithValues: groups.map { ($0.name, $0) }),
            services: Dictionary(uniqueKeysWithValues: services)
        )
    }

    /// Tells every control-plane process, at the commit of the caller's transaction, that `tenant`'s definitions
    /// changed. Call the local ``invalidate(tenant:)`` after the commit as well.
    nonisolated(nonsending) static func notifyChange(tenant: UUID, on connection: PostgresConnection) async throws {
        try await connection.execute("SELECT pg_notify(\(FeatureStore.channel), \(notificationPrefix + tenant.uuidString.lowercased()))")
    }
}
