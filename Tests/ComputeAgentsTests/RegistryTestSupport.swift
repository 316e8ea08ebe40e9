import AgentProtocol
import ComputeAgents
import Foundation
import Logging
import PostgresClient
import Residency
import Tenancy
import TestSupport

/// A control plane over a fresh ``TenancyTestEnvironment`` (directory + two cells), with an encrypted file blob
/// store per region in a temporary folder; ``with(_:_:)`` drops everything afterwards.
struct RegistryTestBed {
    let environment: TenancyTestEnvironment
    let services: ComputeAgentsServices

    static let password = "correct-horse-battery-staple-42"

    /// The default configuration of a test control plane.
    static let configuration = ComputeAgentsConfiguration(publicURL: "http://127.0.0.1:8080")

    /// Runs `body` against a fresh control plane with `configuration`.
    static func with<Result>(
        _ configuration: ComputeAgentsConfiguration = RegistryTestBed.configuration,
        _ body: (RegistryTestBed) async throws -> Result
    ) async throws -> Result {
        let blobRoot = FileManager.default.temporaryDirectory.appendingPathComponent("falaj-registry-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: blobRoot) }
        return try await TenancyTestEnvironment.with { environment in
            var logger = Logger(label: "falaj.compute-agents.test")
            logger.logLevel = .warning
            let regions = TenancyTestEnvironment.regions.map(\.id)
            let keys = TenantKeys(router: environment.router, keyrings: regions.map { RegionKeyring(region: $0, current: .generate()) })
            let stores = Dictionary(
                uniqueKeysWithValues: regions.map { ($0, FileBlobStore(root: blobRoot.appendingPathComponent($0)) as any BlobStore) }
            )
            let services = ComputeAgentsServices(
                router: environment.router,
                blobs: TenantBlobs(keys: keys, stores: stores),
                configuration: configuration,
                logger: logger
            )
            return try await body(RegistryTestBed(environment: environment, services: services))
        }
    }

    /// A platform operator.
    static let platformOperator = NodeAdministrator.platformOperator(id: UUID(), requestID: "test-operator", clientAddress: "127.0.0.1")

    /// Signs up a tenant and returns its owner's request context (owners hold `nodes.manage`).
    func owner(of organisation: String, region: String = "eu-west-1") async throws -> RequestContext {
        let email = "owner-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let tenancy = environment.services
        let result = try await tenancy.signUp.signUp(
            SignUpForm(organisation: organisation, region: region, email: email, password: Self.password, plan: "free")
        )
        guard let session = try await tenancy.authenticator.session(result.session, requestID: "test", clientAddress: "127.0.0.1") else {
            throw TestBedError("the owner's session did not resolve")
        }
        return session.context
    }

    /// The same tenant seen by a member with the built-in viewer role (no `nodes.manage`).
    func viewer(of owner: RequestContext) -> RequestContext {
        let role = Role(.viewer)
        return RequestContext(
            tenant: owner.tenant,
            actor: .user(UUID()),
            role: role,
            permissions: role.permissions,
            requestID: "test-viewer",
            clientAddress: "127.0.0.1"
        )
    }

    /// A small CPU node.
    static func inventory(hostname: String = "node-\(UUID().uuidString.prefix(6).lowercased())", labels: [String: String] = [:]) -> AgentInventory {
        AgentInventory(
            hostname: hostname,
            operatingSystem: "Linux 6.1",
            cpuModel: "Test CPU",
            cpuCores: 4,
            memoryBytes: 8 << 30,
            diskBytes: 100 << 30,
            gpus: [GPUDevice(index: 0, uuid: "GPU-1234", name: "NVIDIA H200", memoryBytes: 141 << 30, driverVersion: "550.54")],
            agentVersion: "0.1.0",
            labels: labels
        )
    }

    /// Creates a token and enrols one agent with it.
    func enrol(
        region: String = "eu-west-1",
        by administrator: NodeAdministrator = Self.platformOperator,
        labels: [String: String] = [:]
    ) async throws -> RegistrationResponse {
        let (token, _) = try await services.joinTokens.create(JoinTokenRequest(region: region, labels: labels), by: administrator)
        return try await services.registry.register(RegistrationRequest(joinToken: token, inventory: Self.inventory()), remoteAddress: "10.1.2.3")
    }

    /// The identity behind `credential` (fails the test when there is none).
    func identity(_ credential: AgentCredential) async throws -> AgentIdentity {
        guard let identity = try await services.registry.authenticate(credential.token) else { throw TestBedError("the credential was refused") }
        return identity
    }

    /// An idle node's heartbeat.
    static func heartbeat(running: [RunningJobReport] = []) -> HeartbeatRequest {
        HeartbeatRequest(
            free: ResourceAmounts(cpuMillis: 4000, memoryBytes: 8 << 30, gpus: 1),
            freeGPUIndices: [0],
            running: running,
            utilization: NodeUtilization(cpuPercent: 12.5, memoryUsedBytes: 1 << 30, gpuPercent: 3)
        )
    }

    /// Runs `sql` as the superuser in the directory (to age rows and inspect what is stored).
    @discardableResult
    func directory(_ sql: PostgresQuery) async throws -> [PostgresRow] {
        try await environment.asSuperuserInDirectory { try await $0.query(sql) }
    }

    /// The tenant's audit rows whose action starts with `prefix`, oldest first.
    func auditRows(of tenant: TenantID, prefix: String) async throws -> [AuditRecord] {
        try await environment.router.withTenantTransaction(tenant) { connection in
            try await AuditLog.events(AuditFilter(actionPrefix: prefix, limit: 1000), on: connection)
        }.sorted { $0.sequence < $1.sequence }
    }
}

struct TestBedError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
