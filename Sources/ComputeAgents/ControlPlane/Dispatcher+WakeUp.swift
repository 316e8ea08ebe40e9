import Logging
import PostgresClient
import Residency
import ServiceLifecycle

/// Listens on `falaj_dispatch` in every cell and wakes this process's lease long-polls when another process (or
/// this one) queues work. One ``PostgresListener`` (its own connection and thread, reconnecting by itself) per cell; a
/// listener that cannot start is retried every few seconds. Notifications lost while disconnected are covered by the
/// long-polls' one-second fallback tick. Ends on graceful shutdown.
struct DispatchWakeUpService: Service {
    let context: ComputeAgentsContext

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for region in context.router.regionIDs {
                group.addTask { await listen(region: region) }
            }
        }
        // Graceful shutdown: held lease long-polls answer now, so the server's drain is not kept waiting by them.
        context.dispatch.signal.stop()
    }

    private func listen(region: String) async {
        let signal = context.dispatch.signal
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let configuration = try context.router.cell(for: region).configuration
                    let listener = try await PostgresListener(configuration: configuration, channels: [Dispatcher.channel], logger: context.logger)
                    signal.fire(region: region)
                    await withTaskCancellationHandler {
                        for await _ in listener {
                            signal.fire(region: region)
                        }
                    } onCancel: {
                        listener.stop()
                    }
                } catch {
                    context.logger.warning(
                        "dispatch wake-up listener could not start; retrying", metadata: ["region": "\(region)", "error": "\(String(reflecting: error))"]
                    )
                    try? await Task.sleep(for: .seconds(3))
                }
            }
        }
    }
}
