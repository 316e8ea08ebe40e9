import ComputeAgents
import Foundation
import Logging
import Platform
@testable import Portal
import Residency
import ServiceLifecycle
import Tenancy
import TestSupport
import WebServer

/// The portal in-process on a real socket (port 0) over a fresh ``TenancyTestEnvironment``.
final class PortalTestServer: Sendable {
    let environment: TenancyTestEnvironment
    let server: HTTPServer
    let router: Router
    /// Every route's declared access and API documentation.
    let catalog: RouteCatalog
    /// The registry, job queue and dispatcher the portal uses.
    let computeAgents: ComputeAgentsServices
    /// The ML lifecycle's services (datasets, runs, registry).
    let platform: PlatformServices
    /// The folder of the per-region blob stores (`<blobRoot>/<region>/tenants/<tenant>/…`).
    let blobRoot: URL
    private let group: ServiceGroup
    private let runTask: Task<Void, any Error>

    var port: Int { server.port }
    var tenancy: TenancyServices { environment.services }

    private init(
        environment: TenancyTestEnvironment, server: HTTPServer, router: Router, catalog: RouteCatalog, computeAgents: ComputeAgentsServices,
        platform: PlatformServices, blobRoot: URL, backgroundServices: [any Service], logger: Logger
    ) {
        self.blobRoot = blobRoot
        self.environment = environment
        self.server = server
        self.router = router
        self.catalog = catalog
        self.computeAgents = computeAgents
        self.platform = platform
        let group = ServiceGroup(services: [server] + backgroundServices, gracefulShutdownSignals: [], logger: logger)
        self.group = group
        self.runTask = Task { try await group.run() }
    }

    /// Starts a server; pair with ``stop()`` (or use ``with(_:)``).
    /// - Parameter agents: the compute-agents configuration; when given, its background services (dispatch wake-up,
    ///   reaper) run too, as in `falaj serve`.
    static func start(agents: ComputeAgentsConfiguration? = nil) async throws -> PortalTestServer {
        let environment = try await TenancyTestEnvironment.make()
        do {
            let logger = Logger(label: "falaj.portal.test")
            let publicDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Public").path
            let keys = TenantKeys(router: environment.router, keyrings: TenancyTestEnvironment.regions.map { RegionKeyring(region: $0.id, current: .generate()) })
            let blobRoot = FileManager.default.temporaryDirectory.appendingPathComponent("falaj-portal-blobs-\(UUID().uuidString)")
            let stores = Dictionary(uniqueKeysWithValues: TenancyTestEnvironment.regions.map {
                ($0.id, FileBlobStore(root: blobRoot.appendingPathComponent($0.id)) as any BlobStore)
            })
            var agentsConfiguration = agents ?? ComputeAgentsConfiguration()
            if agents == nil { agentsConfiguration.maximumLeaseWaitSeconds = 2 }
            let blobs = TenantBlobs(keys: keys, stores: stores)
            let computeAgents = ComputeAgentsServices(router: environment.router, blobs: blobs, configuration: agentsConfiguration, logger: logger)
            let platform = PlatformServices(router: environment.router, blobs: blobs, logger: logger)
            let portal = PortalEnvironment(
                publicDirectory: publicDirectory,
                readiness: { [] },
                metricsCollectors: [],
                regions: {
                    TenancyTestEnvironment.regions.map {
                        RegionSummary(id: $0.id, displayName: $0.displayName, jurisdiction: $0.jurisdiction, country: $0.country)
                    }
                },
                tenancy: environment.services,
                keys: keys,
                computeAgents: computeAgents,
                platform: platform,
                logger: logger
            )
            let (router, catalog) = try await PortalRouter.makeWithCatalog(environment: portal, metrics: HTTPMetrics())
            var configuration = HTTPServerConfiguration()
            configuration.port = 0
            configuration.eventLoopCount = 1
            let server = try HTTPServer(configuration: configuration, responder: router, logger: logger)
            return PortalTestServer(
                environment: environment, server: server, router: router, catalog: catalog, computeAgents: computeAgents, platform: platform, blobRoot: blobRoot,
                backgroundServices: platform.backgroundServices + [platform.servingController(jobs: computeAgents.jobs, interval: .seconds(1))]
                    + (agents == nil ? [] : computeAgents.backgroundServices), logger: logger
            )
        } catch {
            await environment.close()
            throw error
        }
    }

    /// Runs `body` with a started server and stops it afterwards, also when `body` throws.
    static func with<Result>(agents: ComputeAgentsConfiguration? = nil, _ body: (PortalTestServer) async throws -> Result) async throws -> Result {
        let server = try await start(agents: agents)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        server.shutdown()
        _ = try? await runTask.value
        await environment.close()
        try? FileManager.default.removeItem(at: blobRoot)
    }

    /// A new browser-like client (own cookie jar).
    func browser() -> PortalBrowser { PortalBrowser(port: port) }
}
