import ArgumentParser
import ComputeAgents
import Foundation
import HTTPClient
import Logging
import Platform
import Portal
import Residency
import ServiceLifecycle
import Tenancy
import WebServer

/// What the in-process benchmarks (`falaj bench …`) start: the control plane's databases on a fresh embedded Postgres
/// under a scratch data directory (removed first), the tenancy services, a key ring per region and file blob stores
/// under `<data-dir>/blobs/<region>`. Not for production: new key-encryption keys are generated on every start.
struct BenchControlPlane {
    let dataDir: String
    let logger: Logger
    let tenancy: TenancyServices
    let keys: TenantKeys
    /// The tenants' encrypted file blob stores, one per region.
    let blobs: TenantBlobs

    var router: CellRouter { tenancy.environment.router }

    /// Opens a fresh control plane under `dataDir`, runs `body` with it and closes the databases (also when `body`
    /// throws).
    static func withFresh<Value>(dataDir: String, _ body: (BenchControlPlane) async throws -> Value) async throws -> Value {
        var logger = Logger(label: "falaj.bench")
        logger.logLevel = .warning
        try? FileManager.default.removeItem(atPath: dataDir)
        var options = try DatabaseOptions.parse(["--data-dir", dataDir, "--log-level", "warning"])
        options.logLevelOption = "warning"
        let databases = try await ControlPlaneDatabases.open(options: options, logger: logger)
        do {
            let tenancy = try await databases.tenancyServices(dataDirectory: dataDir, environment: [:], logger: logger)
            let router = tenancy.environment.router
            let keys = TenantKeys(router: router, keyrings: router.regionIDs.map { RegionKeyring(region: $0, current: KeyEncryptionKey.generate()) })
            var stores: [String: any BlobStore] = [:]
            for region in router.regionIDs { stores[region] = FileBlobStore(root: URL(fileURLWithPath: dataDir + "/blobs/" + region)) }
            let plane = BenchControlPlane(dataDir: dataDir, logger: logger, tenancy: tenancy, keys: keys, blobs: TenantBlobs(keys: keys, stores: stores))
            let value = try await body(plane)
            await databases.close()
            return value
        } catch {
            await databases.close()
            throw error
        }
    }

    /// The portal's environment for a bench: no readiness checks, metrics or region list; the given services.
    func portal(computeAgents: ComputeAgentsServices? = nil, platform: PlatformServices? = nil) throws -> PortalEnvironment {
        PortalEnvironment(
            publicDirectory: try Bootstrap.locate("Public", option: nil), readiness: { [] }, metricsCollectors: [], regions: { [] },
            tenancy: tenancy, keys: keys, computeAgents: computeAgents, platform: platform, logger: logger
        )
    }

    /// Serves `portal` over HTTP on a free port of 127.0.0.1 next to the service `runner` makes (given the server, for
    /// its port), the tenancy services' listeners (as `falaj serve` runs them) and `background`; returns once `runner` has finished and the group has shut down gracefully.
    func serve(_ portal: PortalEnvironment, background: [any Service] = [], runner: (HTTPServer) -> any Service) async throws {
        var http = HTTPServerConfiguration()
        http.port = 0
        let server = try HTTPServer(configuration: http, responder: try await PortalRouter.make(environment: portal, metrics: HTTPMetrics()), logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    ServiceGroupConfiguration.ServiceConfiguration(service: server),
                    ServiceGroupConfiguration.ServiceConfiguration(service: runner(server), successTerminationBehavior: .gracefullyShutdownGroup),
                ] + (tenancy.backgroundServices + background).map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                logger: logger
            )
        )
        try await group.run()
    }
}

/// The bench tenant: organisation "Bench" in me-central-1 on the enterprise plan, signed up through the tenancy
/// services, and API keys made for it.
enum BenchTenant {
    /// Signs the tenant up and returns its owner's request context (from the new session).
    static func signUp(_ tenancy: TenancyServices) async throws -> RequestContext {
        let signUp = try await tenancy.signUp.signUp(
            SignUpForm(
                organisation: "Bench", region: "me-central-1", email: "bench@bench.falaj.test", password: "bench-" + UUID().uuidString, displayName: "Bench",
                plan: "enterprise"
            )
        )
        guard let context = try await tenancy.authenticator.session(signUp.session, requestID: "bench", clientAddress: "127.0.0.1")?.context else {
            throw BootstrapError(message: "the bench tenant has no session")
        }
        return context
    }

    /// Signs the tenant up and makes an API key with `permissions`; returns the key's secret.
    static func apiKey(_ tenancy: TenancyServices, name: String, permissions: [String]) async throws -> String {
        let context = try await signUp(tenancy)
        return try await tenancy.apiKeys.create(context, name: name, permissions: permissions, expiresInDays: nil).secret
    }
}

/// The bench's view of the API: where the server is, the API key it sends as a bearer token and an HTTP client
/// (libcurl; a connection per request).
struct BenchAPI: Sendable {
    let base: String
    let key: String
    let client: HTTPClient

    init(port: Int, key: String, timeout: Duration, threadCount: Int = 2) {
        base = "http://127.0.0.1:\(port)"
        self.key = key
        client = HTTPClient(configuration: .init(timeout: timeout, threadCount: threadCount))
    }

    /// The bearer token and `Accept: application/json`, plus a `Content-Type` when given.
    func headers(contentType: String?) -> [(name: String, value: String)] {
        var headers = [(name: "Authorization", value: "Bearer " + key), (name: "Accept", value: "application/json")]
        if let contentType { headers.append((name: "Content-Type", value: contentType)) }
        return headers
    }

    /// POSTs `json` to `path` and returns the answer's body; any status but `expect` throws with the server's detail.
    @discardableResult
    func post(_ path: String, json: String, expect: Int = 201) async throws -> [UInt8] {
        let response = try await client.execute(
            HTTPClientRequest(method: "POST", url: base + path, headers: headers(contentType: "application/json"), body: .bytes(Array(json.utf8)))
        )
        guard response.status == expect else {
            throw BootstrapError(message: "POST \(path) answered \(response.status): \(String(decoding: response.body.prefix(4_000), as: UTF8.self))")
        }
        return response.body
    }

    /// Streams `body` to `path` as `contentType` (chunked, never held whole) and returns the answer's body; any status
    /// but `expect` throws with the server's detail.
    func upload(_ path: String, contentType: String, body: some AsyncSequence<[UInt8], any Error> & Sendable, expect: Int = 201) async throws -> [UInt8] {
        let response = try await client.execute(
            HTTPClientRequest(method: "POST", url: base + path, headers: headers(contentType: contentType), body: .stream(body, length: nil))
        )
        guard response.status == expect else {
            throw BootstrapError(message: "POST \(path) answered \(response.status): \(String(decoding: response.body.prefix(4_000), as: UTF8.self))")
        }
        return response.body
    }

    /// A JSON answer decoded with snake-case keys converted.
    static func decode<Value: Decodable>(_ type: Value.Type, from body: [UInt8]) throws -> Value {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(type, from: Data(body))
    }
}

/// Running programs (wrk) from a bench without blocking Swift's cooperative pool.
enum BenchProcess {
    /// Runs `work` on a new thread and resumes with its result.
    static func onOwnThread<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs a program to completion, blocking the calling thread; its status and its standard output and error together.
    static func execute(_ program: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            throw BootstrapError(message: "could not run \(program): \(error)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs `work` with a new private (0700) temporary folder, removed afterwards (for secrets handed to wrk scripts).
    static func withPrivateFolder<Value>(_ work: (URL) throws -> Value) throws -> Value {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("falaj-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        return try work(folder)
    }

    /// Runs wrk with `arguments(keyFile)` on a thread of its own, `key` handed to its script in a file of a private
    /// folder (never on the command line), and reads the totals line the script prints (`<prefix> name value …`).
    /// - Throws: when wrk cannot start, fails, or prints no such line.
    static func wrkTotals(_ wrk: String, key: String, prefix: String, arguments: @escaping @Sendable (String) -> [String]) async throws -> [String: Double] {
        let (status, output) = try await onOwnThread {
            try withPrivateFolder { folder in
                let file = folder.appendingPathComponent("key")
                try Data(key.utf8).write(to: file)
                return try execute(wrk, arguments(file.path))
            }
        }
        guard status == 0, let line = output.split(separator: "\n").first(where: { $0.hasPrefix(prefix + " ") }) else {
            throw BootstrapError(message: "wrk exited with status \(status) without totals:\n\(output)")
        }
        var fields: [String: Double] = [:]
        let words = line.split(separator: " ").dropFirst().map(String.init)
        for pair in stride(from: 0, to: words.count - 1, by: 2) { fields[words[pair]] = Double(words[pair + 1]) }
        return fields
    }
}
