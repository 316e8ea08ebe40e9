import Foundation
import Residency
import Logging
import PostgresClient
import ServiceLifecycle

/// Listens on `falaj_features` in every cell and drops this process's cached online rows of the group a push changed
/// (in whichever control-plane process it happened), or a tenant's cached definitions (payload `def:<tenant id>`).
/// One ``PostgresListener`` per cell (its own connection and thread, reconnecting by itself); each start of a listener
/// and each reconnect (its ``PostgresListener/gapMarker``) drops the whole cache, since notifications may have been
/// missed while it was down. Ends on graceful shutdown.
struct FeatureCacheInvalidationService: Service {
    let context: PlatformContext
    let cache: OnlineFeatureCache

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for region in context.router.regionIDs {
                group.addTask { await listen(region: region) }
            }
        }
    }

    private func listen(region: String) async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let configuration = try context.router.cell(for: region).configuration
                    let listener = try await PostgresListener(configuration: configuration, channels: [FeatureStore.channel], logger: context.logger)
                    invalidateAll()
                    await withTaskCancellationHandler {
                        for await notification in listener { apply(notification.payload) }
                    } onCancel: {
                        listener.stop()
                    }
                    invalidateAll()  // the listener ended: whatever it would have said is unknown
                } catch {
                    context.logger.warning(
                        "feature cache listener could not start; retrying", metadata: ["region": "\(region)", "error": "\(String(reflecting: error))"]
                    )
                    try? await Task.sleep(for: .seconds(3))
                }
            }
        }
    }

    /// Drops what a notification says changed; anything unrecognised (the reconnect marker too) drops everything.
    private func apply(_ payload: String) {
        if let group = UUID(uuidString: payload) {
            cache.invalidate(group: group)
        } else if payload.hasPrefix(FeatureDefinitionCache.notificationPrefix),
            let tenant = UUID(uuidString: String(payload.dropFirst(FeatureDefinitionCache.notificationPrefix.count)))
        {
            context.definitions.invalidate(tenant: tenant)
        } else {
            invalidateAll()
        }
    }

    private func invalidateAll() {
        cache.invalidateAll()
        context.definitions.invalidateAll()
    }
}
