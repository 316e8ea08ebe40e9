import AgentProtocol
@testable import ComputeAgents
import FalajCrypto
import Foundation
import Logging
import PostgresClient
import Residency
import Tenancy
import TestSupport

/// A tenancy test environment plus compute-agents services over it, with encrypted blob stores in a temporary folder
/// per region. Agents are rows inserted straight into the directory (the registry is not under test here).
struct DispatchFixture {
    let environment: TenancyTestEnvironment
    let services: ComputeAgentsServices
    static let password = "correct-horse-battery-staple-42"

    var jobs: JobQueue { services.jobs }
    var dispatcher: Dispatcher { services.dispatcher }

    /// Runs `body` with a fresh environment; `configure` adjusts the timings first.
    static func with<Result>(
        configure: (inout ComputeAgentsConfiguration) -> Void = { _ in },
        _ body: (DispatchFixture) async throws -> Result
    ) async throws -> Result {
        try await TenancyTestEnvironment.with { environment in
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("falaj-dispatch-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: root) }
            let keys = TenantKeys(router: environment.router, keyrings: TenancyTestEnvironment.regions.map { RegionKeyring(region: $0.id, current: .generate()) })
            var stores: [String: any BlobStore] = [:]
            for region in TenancyTestEnvironment.regions {
                let folder = root.appendingPathComponent(region.id)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                stores[region.id] = FileBlobStore(root: folder)
            }
            var configuration = ComputeAgentsConfiguration(publicURL: "https://falaj.test")
            configure(&configuration)
            var logger = Logger(label: "falaj.dispatch.test")
            logger.logLevel = .warning
            let services = ComputeAgentsServices(
                router: environment.router, blobs: TenantBlobs(keys: keys, stores: stores), configuration: configuration, logger: logger
            )
            return try await body(DispatchFixture(environment: environment, services: services))
        }
    }

    /// Signs up a tenant and returns its owner's request context.
    func tenant(_ name: String, region: String = "eu-west-1") async throws -> RequestContext {
        let email = "owner-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let result = try await environment.services.signUp.signUp(
            SignUpForm(organisation: name, region: region, email: email, password: Self.password, plan: "enterprise")
        )
        guard let session = try await environment.services.authenticator.session(result.session, requestID: "test", clientAddress: "127.0.0.1") else {
            throw DispatchTestError("the owner's session did not resolve")
        }
        return session.context
    }

    /// Enrols an agent by inserting its row, ready and just seen, with everything free.
    func agent(
        region: String = "eu-west-1", dedicatedTo tenant: TenantID? = nil, labels: [String: String] = [:], gpus: [String] = [],
        cpuCores: Int = 8, memoryBytes: Int64 = 32 << 30, address: String? = nil
    ) async throws -> AgentIdentity {
        let id = UUID()
        let devices = gpus.enumerated().map { GPUDevice(index: $0.offset, uuid: "GPU-\(UUID())", name: $0.element, memoryBytes: 80 << 30, driverVersion: "550") }
        let address = address ?? "10.0.\(Int.random(in: 0...255)).\(Int.random(in: 1...254))"
        try await environment.asSuperuserInDirectory { connection in
            try await connection.execute(
                """
                INSERT INTO agents (id, region_id, dedicated_tenant_id, hostname, operating_system, cpu_model, cpu_cores, memory_bytes, disk_bytes,
                                    gpus, labels, agent_version, address, status, credential_hash, credential_expires_at,
                                    free_cpu_millis, free_memory_bytes, free_gpus, heartbeat_interval_seconds)
                VALUES (\(id), \(region), \(tenant?.rawValue), \("host-\(id.uuidString.prefix(6))"), 'Linux', 'Test CPU', \(cpuCores), \(memoryBytes), 0,
                        \(try PostgresJSON(encoding: devices)), \(try PostgresJSON(encoding: labels)), '1.0', \(address), 'ready',
                        \(SecureRandom.bytes(count: 32)), now() + interval '1 hour', \(cpuCores * 1000), \(memoryBytes), \(gpus.count), 10)
                """
            )
        }
        return AgentIdentity(id: id, region: region, dedicatedTenantID: tenant, status: .ready, labels: labels, gpus: devices, address: address)
    }

    /// A lease request offering everything the agent has, without waiting by default.
    static func request(for agent: AgentIdentity, cpuCores: Int = 8, memoryBytes: Int64 = 32 << 30, maxJobs: Int = 1, waitSeconds: Int = 0) -> LeaseRequest {
        LeaseRequest(
            free: ResourceAmounts(cpuMillis: cpuCores * 1000, memoryBytes: memoryBytes, gpus: agent.gpus.count),
            freeGPUIndices: agent.gpus.map(\.index), maxJobs: maxJobs, waitSeconds: waitSeconds
        )
    }

    /// Leases for `agent` without waiting.
    func lease(_ agent: AgentIdentity, maxJobs: Int = 1, waitSeconds: Int = 0) async throws -> [LeasedJob] {
        try await dispatcher.lease(agent, Self.request(for: agent, maxJobs: maxJobs, waitSeconds: waitSeconds)).jobs
    }

    /// Submits a small CPU job.
    @discardableResult
    func submit(
        _ context: RequestContext, kind: String = "drift.check", resources: ResourceRequest = ResourceRequest(cpuMillis: 500, memoryBytes: 1 << 20),
        nodeSelector: [String: String] = [:], maxAttempts: Int = 3, region: String? = nil,
        quota: JobQuota = JobQuota(maximumActiveJobs: 1000, isGPUAllowed: true, maximumNodes: 8)
    ) async throws -> JobSummary {
        try await jobs.submit(
            JobSubmission(kind: kind, name: "test", resources: resources, nodeSelector: nodeSelector, maxAttempts: maxAttempts, region: region),
            quota: quota, context: context
        )
    }

    /// The scope of a leased job's token.
    func scope(_ job: LeasedJob) async throws -> JobTokenScope {
        guard let scope = try await dispatcher.authenticateJob(job.token) else { throw DispatchTestError("the job token of \(job.jobID) was refused") }
        return scope
    }

    /// Runs `sql` as the superuser in `region`'s cell (to age rows).
    func inCell(_ region: String = "eu-west-1", _ sql: PostgresQuery) async throws {
        try await environment.asSuperuser(region: region) { connection in _ = try await connection.execute(sql) }
    }
}

/// A chunked body for artifact uploads.
struct ByteChunks: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let chunks: [[UInt8]]

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: [[UInt8]]
        mutating func next() async throws -> [UInt8]? { remaining.isEmpty ? nil : remaining.removeFirst() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: chunks) }
}

struct DispatchTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
