import AgentNode
import ArgumentParser
import BlockingPool
import ComputeAgents
import Foundation
import Logging
import Platform
import Portal
import Residency
import Tenancy
import ServiceLifecycle
import UnixSignals
import WebServer

/// `falaj serve`: starts (or connects to) the databases, migrates them, and serves the portal and API
/// until SIGTERM or SIGINT, then drains in-flight requests and stops the embedded Postgres.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the control plane: web portal, JSON API, /healthz, /readyz and /metrics."
    )

    @Option(name: .customLong("host"), help: "Address to listen on. Env: FALAJ_HOST. Default: 127.0.0.1")
    var hostOption: String?

    @Option(name: .customLong("port"), help: "TCP port (0 picks a free one). Env: FALAJ_PORT. Default: 8080")
    var portOption: Int?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain; serve HTTPS with --tls-key. Env: FALAJ_TLS_CERT")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert. Env: FALAJ_TLS_KEY")
    var tlsKey: String?

    @Flag(name: .customLong("tls-self-signed"), help: "Development only: serve HTTPS with a certificate generated under <data-dir>/tls.")
    var tlsSelfSigned = false

    @Option(name: .customLong("event-loops"), help: "Event-loop threads. Default: one per core")
    var eventLoops: Int?

    @Option(name: .customLong("public-dir"), help: "Folder served under /static/. Env: FALAJ_PUBLIC_DIR. Default: ./Public")
    var publicDirectoryOption: String?

    @Option(name: .customLong("public-url"), help: "The URL agents and people reach this server at (shown in join commands). Env: FALAJ_PUBLIC_URL. Default: the address a page was requested at")
    var publicURLOption: String?

    @Option(name: .customLong("blob-dir"), help: "Folder of the per-region encrypted blob stores (<dir>/<region>). Env: FALAJ_BLOB_DIR. Default: <data-dir>/blobs")
    var blobDirectoryOption: String?

    @Option(name: .customLong("agent-heartbeat-seconds"), help: "How often agents heartbeat; they are lost after 4.5 intervals without one. Env: FALAJ_AGENT_HEARTBEAT_SECONDS. Default: 10")
    var agentHeartbeatSecondsOption: Int?

    @Flag(name: .customLong("local-agent"), help: "Also run a CPU compute agent in this process, enrolled into --local-agent-region (make run does), so jobs have a node.")
    var localAgent = false

    @Option(name: .customLong("local-agent-region"), help: "The region of the --local-agent. Default: me-central-1")
    var localAgentRegion = "me-central-1"

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = try Bootstrap.logger(level: database.logLevel())
        var http = HTTPServerConfiguration()
        http.host = hostOption ?? environment["FALAJ_HOST"] ?? "127.0.0.1"
        let port = portOption ?? environment["FALAJ_PORT"].map { Int($0) ?? -1 } ?? 8080
        guard (0...65535).contains(port) else {
            throw ValidationError("the port must be a number between 0 and 65535")
        }
        http.port = port
        if let eventLoops { http.eventLoopCount = max(1, eventLoops) }
        http.tls = try await BlockingPool.shared.run { [self] in try tlsConfiguration(environment: environment) }  // key generation, file I/O

        let publicOption = publicDirectoryOption ?? environment["FALAJ_PUBLIC_DIR"]
        let publicDirectory = try await BlockingPool.shared.run { try Bootstrap.locate("Public", option: publicOption) }
        let dataDirectory = database.dataDirectory
        let databases = try await ControlPlaneDatabases.open(options: database, logger: logger)
        do {
            let tenancy = try await databases.tenancyServices(dataDirectory: dataDirectory, environment: environment, logger: logger)
            let demo = database.databaseURL == nil && environment["FALAJ_NO_DEMO"] == nil
                ? try await DemoSeed.ensure(tenancy: tenancy, dataDirectory: dataDirectory, logger: logger) : nil
            // Key-encryption keys per region: FALAJ_KEK_<REGION> or <data-dir>/keys/<region>.kek (created in development).
            var keyrings: [RegionKeyring] = []
            for region in tenancy.environment.router.regionIDs {
                keyrings.append(
                    try await RegionKeyring.load(
                        region: region, dataDirectory: URL(fileURLWithPath: dataDirectory), environment: environment,
                        isCreatingMissing: database.databaseURL == nil
                    )
                )
            }
            let metrics = HTTPMetrics()
            let serverBox = ServerReference()
            let tenantKeys = TenantKeys(router: tenancy.environment.router, keyrings: keyrings)
            let blobs = try await tenantBlobs(router: tenancy.environment.router, keys: tenantKeys, environment: environment)
            let computeAgents = try computeAgentsServices(router: tenancy.environment.router, blobs: blobs, environment: environment, logger: logger)
            let platform = PlatformServices(router: tenancy.environment.router, blobs: blobs, logger: logger)
            let portalEnvironment = PortalEnvironment(
                publicDirectory: publicDirectory,
                readiness: { await databases.readiness() },
                metricsCollectors: [
                    { text in databases.collectMetrics(into: &text) },
                    { text in serverBox.collectMetrics(into: &text) },
                ],
                regions: {
                    try await RegionCatalog(directory: databases.directory).all().map {
                        RegionSummary(id: $0.id, displayName: $0.displayName, jurisdiction: $0.jurisdiction, country: $0.country, isActive: $0.status == "active")
                    }
                },
                tenancy: tenancy,
                keys: tenantKeys,
                computeAgents: computeAgents,
                platform: platform,
                logger: logger
            )
            let router = try await PortalRouter.make(environment: portalEnvironment, metrics: metrics)
            let server = try HTTPServer(configuration: http, responder: router, logger: logger)
            serverBox.server = server
            let scheme = http.tls == nil ? "http" : "https"
            let shownHost = http.host == "0.0.0.0" || http.host == "::" ? "127.0.0.1" : http.host
            var lines = ["Falaj is running at \(scheme)://\(shownHost):\(server.port)/"]
            if let demo {
                lines.append("Demo login: \(demo.ownerEmail) / \(demo.password)  (operator console: /operator/login as \(demo.operatorEmail), same password)")
            } else {
                lines.append("No demo data on an external database: sign up at /signup; create operators with `falaj admin create-operator`.")
            }
            lines.append("Press Ctrl-C to stop.")
            // The announcement is a service so it prints only once the group handles SIGTERM/SIGINT: a supervisor that
            // stops the process right after reading the URL still gets a graceful shutdown.
            // Data-subject requests and retention run in every replica (requests are claimed with SKIP LOCKED); tenant
            // erasure destroys the tenant's data keys, which makes every blob of it unreadable.
            let privacyServices: [any Service] = [
                DataSubjectRequestRunner(environment: tenancy.environment, shredder: tenantKeys),
                RetentionService(router: tenancy.environment.router, logger: logger),
            ]
            var services: [any Service] = [server, StartupAnnouncement(lines: lines)] + privacyServices + tenancy.backgroundServices
                + computeAgents.backgroundServices + platform.backgroundServices + [platform.servingController(jobs: computeAgents.jobs)]
            if localAgent {
                services.append(try await localAgentRuntime(computeAgents: computeAgents, http: http, port: server.port, logger: logger))
                lines.insert("Local agent: a CPU node in \(localAgentRegion) (state in \(dataDirectory)/agent); more nodes join from /operator/join-tokens.", at: 1)
            }
            services[1] = StartupAnnouncement(lines: lines)
            let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            try await group.run()
        } catch {
            await databases.close()
            throw error
        }
        await databases.close()
    }

    /// The tenants' encrypted blob stores: one file store per region (`<blob-dir>/<region>`, default `<data-dir>/blobs`).
    private func tenantBlobs(router: CellRouter, keys: TenantKeys, environment: [String: String]) async throws -> TenantBlobs {
        let blobRoot = URL(fileURLWithPath: blobDirectoryOption ?? environment["FALAJ_BLOB_DIR"] ?? database.dataDirectory + "/blobs").standardizedFileURL
        var stores: [String: any BlobStore] = [:]
        for region in router.regionIDs {
            let folder = blobRoot.appendingPathComponent(region)
            try await BlockingPool.shared.run { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) }
            stores[region] = FileBlobStore(root: folder)
        }
        return TenantBlobs(keys: keys, stores: stores)
    }

    /// The registry, job queue and dispatcher, with the timings the options set.
    private func computeAgentsServices(
        router: CellRouter, blobs: TenantBlobs, environment: [String: String], logger: Logger
    ) throws -> ComputeAgentsServices {
        var configuration = ComputeAgentsConfiguration(publicURL: publicURLOption ?? environment["FALAJ_PUBLIC_URL"])
        if let seconds = agentHeartbeatSecondsOption ?? environment["FALAJ_AGENT_HEARTBEAT_SECONDS"].flatMap({ Int($0) }) {
            guard (1...3600).contains(seconds) else { throw ValidationError("--agent-heartbeat-seconds must be between 1 and 3600") }
            configuration.heartbeatIntervalSeconds = seconds
            configuration.lostAfterSeconds = max(3, seconds * 9 / 2)
            configuration.leaseSeconds = max(3, seconds * 9 / 2)
            configuration.reaperIntervalSeconds = max(1, seconds / 2)
        }
        return ComputeAgentsServices(router: router, blobs: blobs, configuration: configuration, logger: logger)
    }

    /// The in-process agent of `--local-agent`: enrolled with a one-use join token on its first start (its identity is
    /// kept in `<data-dir>/agent/agent.json` for the next ones) and talking to this server over loopback.
    private func localAgentRuntime(computeAgents: ComputeAgentsServices, http: HTTPServerConfiguration, port: Int, logger: Logger) async throws -> AgentRuntime {
        let directory = database.dataDirectory + "/agent"
        let isEnrolled = await BlockingPool.shared.run { FileManager.default.fileExists(atPath: directory + "/agent.json") }
        var joinToken: String?
        if !isEnrolled {
            // The server acts for the platform here: recorded as the nil operator id, like `falaj admin join-token`.
            joinToken = try await computeAgents.joinTokens.create(
                JoinTokenRequest(region: localAgentRegion, labels: ["local": "true"], description: "falaj serve --local-agent", maxUses: 1, lifetimeSeconds: 600),
                by: .platformOperator(id: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), requestID: "local-agent", clientAddress: "127.0.0.1")
            ).token
        }
        // Over TLS the agent verifies the server's own certificate (self-signed ones name localhost).
        let url = http.tls == nil ? "http://127.0.0.1:\(port)" : "https://localhost:\(port)"
        var configuration = AgentConfiguration(serverURL: url, joinToken: joinToken, dataDirectory: directory)
        configuration.caFile = http.tls?.certificatePath
        var agentLogger = logger
        agentLogger[metadataKey: "component"] = "local-agent"
        return AgentRuntime(configuration: configuration, logger: agentLogger)
    }

    private func tlsConfiguration(environment: [String: String]) throws -> TLSConfiguration? {
        let certificate = tlsCertificate ?? environment["FALAJ_TLS_CERT"]
        let key = tlsKey ?? environment["FALAJ_TLS_KEY"]
        if tlsSelfSigned {
            guard certificate == nil && key == nil else { throw ValidationError("use either --tls-self-signed or --tls-cert/--tls-key") }
            let directory = database.dataDirectory + "/tls"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return try SelfSignedCertificate.generate(commonName: "localhost", directory: directory)
        }
        switch (certificate, key) {
        case (nil, nil): return nil
        case (let certificate?, let key?): return TLSConfiguration(certificatePath: certificate, privateKeyPath: key)
        default: throw ValidationError("--tls-cert and --tls-key go together")
        }
    }
}

/// Lets `/metrics` read the server's connection counts; set once the server exists.
final class ServerReference: @unchecked Sendable {
    // @unchecked Sendable: `server` is written once, before the server starts serving, and only read afterwards.
    var server: HTTPServer?

    func collectMetrics(into text: inout PrometheusText) {
        guard let server else { return }
        text.gauge("falaj_http_open_connections", help: "HTTP connections open now.", value: Double(server.openConnectionCount))
        text.header("falaj_http_accepted_connections_total", type: "counter", help: "HTTP connections accepted since start.")
        text.sample("falaj_http_accepted_connections_total", value: Double(server.acceptedConnectionCount))
    }
}

/// Prints the start-up lines (URL, demo login) from inside the service group, then waits for shutdown.
struct StartupAnnouncement: Service {
    let lines: [String]

    func run() async throws {
        for line in lines { print(line) }
        fflush(nil)  // stdout is block-buffered when it is a pipe; supervisors and tests wait for the URL line
        try? await gracefulShutdown()
    }
}
