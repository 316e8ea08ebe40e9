/// Destroys every data-encryption key of a tenant, so every blob sealed under them becomes unreadable
/// (crypto-shredding, the last word of a tenant erasure).
///
/// Tenant erasure calls ``shred(_:)`` as one of its named steps and records the step as done only after it returns,
/// so an implementation must be idempotent: shredding a tenant whose keys are already gone succeeds. The real
/// implementation belongs to the envelope-encryption key store; the control plane wires it in at start-up.
public protocol TenantKeyShredder: Sendable {
    /// Destroys `tenant`'s data keys (and records that it did). Must succeed when they are already destroyed.
    /// - Parameter tenant: the tenant being erased.
    func shred(_ tenant: TenantID) async throws
}

/// A ``TenantKeyShredder`` made from a closure, for wiring and tests.
public struct ClosureKeyShredder: TenantKeyShredder {
    private let body: @Sendable (TenantID) async throws -> Void

    /// Wraps `body`, which must be idempotent.
    /// - Parameter body: destroys the tenant's keys.
    public init(_ body: @escaping @Sendable (TenantID) async throws -> Void) { self.body = body }

    /// Calls the closure.
    public func shred(_ tenant: TenantID) async throws { try await body(tenant) }
}
