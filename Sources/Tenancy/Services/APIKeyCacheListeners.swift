import Foundation
import Logging
import PostgresClient
import Residency
import ServiceLifecycle

/// Listens on `falaj_auth` in the directory and in every cell and drops the cached API keys of the tenant each
/// notification names (see ``APIKeyCache``). One ``PostgresListener`` per database (its own connection and thread,
/// reconnecting by itself); the cache is trusted only while all of them are connected. Ends on graceful shutdown,
/// leaving the cache untrusted.
struct APIKeyCacheListeners: Service {
    let environment: TenancyEnvironment

    /// The channel the triggers of cell migration 0014 and directory migration 0007 notify (payload: a tenant id).
    static let channel = "falaj_auth"

    func run() async throws {
        let router = environment.router
        var databases = [("directory", router.directory.configuration)]
        for region in router.regionIDs { databases.append(("cell \(region)", try router.cell(for: region).configuration)) }
        let cache = environment.apiKeyCache
        cache.expect(Set(databases.map(\.0)))
        await withTaskGroup(of: Void.self) { group in
            for (name, configuration) in databases {
                group.addTask { await listen(database: name, configuration: configuration) }
            }
        }
        cache.expect([])
    }

    private func listen(database: String, configuration: PostgresConfiguration) async {
        let cache = environment.apiKeyCache
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let listener = try await PostgresListener(configuration: configuration, channels: [Self.channel], logger: environment.logger)
                    cache.attach(listener, database: database)
                    await withTaskCancellationHandler {
                        for await notification in listener {
                            if let tenant = UUID(uuidString: notification.payload) {
                                cache.invalidate(tenant: tenant)
                            } else {
                                cache.invalidateAll()
                            }
                        }
                    } onCancel: {
                        listener.stop()
                    }
                    cache.attach(nil, database: database)
                } catch {
                    environment.logger.warning(
                        "API key cache listener could not start; retrying", metadata: ["database": "\(database)", "error": "\(String(reflecting: error))"]
                    )
                    try? await Task.sleep(for: .seconds(3))
                }
            }
        }
    }
}
