import Foundation
import PostgresClient
import Residency
import Tenancy
import TestSupport
import Testing

/// The per-process cache of authenticated API keys: it must save the database round trips and still act on every
/// change at once — in the process that made it, and in every other process through `falaj_auth` notifications.
@Suite struct APIKeyCacheTests {
    /// Polls `condition` every 20 ms for up to 10 s; true once it held.
    private func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    private func authenticate(_ process: TenancyServices, _ secret: String) async throws -> RequestContext? {
        try await process.apiKeys.authenticate(secret, requestID: "cache-test", clientAddress: "127.0.0.1")
    }

    @Test func aWarmKeyIsServedFromTheCacheOnlyWhileTheListenersRun() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Cache Warm")
            let key = try await environment.services.apiKeys.create(owner.context, name: "ci", permissions: ["members.read"], expiresInDays: nil)
            let cache = environment.services.environment.apiKeyCache
            // Without listeners the cache is never trusted: every request reads the database.
            #expect(try await authenticate(environment.services, key.secret) != nil)
            #expect(!cache.isTrusted && cache.count == 0)
            try await environment.withListeners([environment.services]) {
                #expect(try await authenticate(environment.services, key.secret)?.permissions == [.membersRead])
                #expect(cache.count == 1)
                // Proof that the next answer comes from memory: the key is revoked behind the cache's back (trigger off,
                // so nobody is told) and still works here, while a wrong secret for the same prefix never does.
                try await environment.asSuperuser(region: "eu-west-1") { connection in
                    try await connection.execute("ALTER TABLE api_keys DISABLE TRIGGER api_keys_auth_change")
                    try await connection.execute("UPDATE api_keys SET revoked_at = now()")
                    try await connection.execute("ALTER TABLE api_keys ENABLE TRIGGER api_keys_auth_change")
                }
                #expect(try await authenticate(environment.services, key.secret) != nil)
                let forged = String(key.secret.dropLast(4)) + "AAAA"
                #expect(try await authenticate(environment.services, forged) == nil)
                cache.invalidateAll()
                #expect(try await authenticate(environment.services, key.secret) == nil)
            }
            #expect(!cache.isTrusted)
        }
    }

    @Test func revocationRoleChangesRemovalAndSuspensionReachEveryProcess() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Cache Spread")
            let engineer = try await fixtures.member(of: owner, role: "ml_engineer")
            let here = environment.services
            let there = environment.anotherProcess()
            try await environment.withListeners([here, there]) {
                let revoked = try await here.apiKeys.create(owner.context, name: "revoked", permissions: ["members.read"], expiresInDays: nil)
                let demoted = try await here.apiKeys.create(engineer.context, name: "demoted", permissions: ["data.read", "data.write"], expiresInDays: nil)
                for secret in [revoked.secret, demoted.secret] {
                    #expect(try await authenticate(there, secret) != nil)
                    #expect(try await authenticate(here, secret) != nil)
                }
                #expect(there.environment.apiKeyCache.count == 2)

                // Revoked in this process: refused here at once, and in the other process as soon as it is told.
                try await here.apiKeys.revoke(owner.context, id: revoked.summary.id)
                #expect(try await authenticate(here, revoked.secret) == nil)
                #expect(try await eventually { try await authenticate(there, revoked.secret) == nil })

                // A demotion shrinks the key everywhere; removing the member ends it.
                try await here.members.changeRole(owner.context, member: engineer.member.id, to: "viewer")
                #expect(try await authenticate(here, demoted.secret)?.permissions == [.dataRead])
                #expect(try await eventually { try await authenticate(there, demoted.secret)?.permissions == [.dataRead] })
                try await here.members.remove(owner.context, member: engineer.member.id)
                #expect(try await eventually { try await authenticate(there, demoted.secret) == nil })

                // Suspension is in the directory: its trigger tells every process too.
                let kept = try await here.apiKeys.create(owner.context, name: "kept", permissions: ["members.read"], expiresInDays: nil)
                #expect(try await authenticate(there, kept.secret) != nil)
                let operatorSession = try await fixtures.operatorSession()
                try await here.operators.suspend(operatorSession, tenant: owner.context.tenantID)
                await #expect(throws: TenancyError.self) { try await authenticate(here, kept.secret) }
                #expect(try await eventually {
                    do { _ = try await authenticate(there, kept.secret); return false } catch is TenancyError { return true }
                })
                try await here.operators.reactivate(operatorSession, tenant: owner.context.tenantID)
                #expect(try await eventually { try await authenticate(there, kept.secret) != nil })
            }
        }
    }

    @Test func changesMadeOutsideTheApplicationAndExpiryAreHonoured() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Cache Triggers")
            let process = environment.anotherProcess()
            try await environment.withListeners([process]) {
                let key = try await environment.services.apiKeys.create(owner.context, name: "sql", permissions: ["members.read"], expiresInDays: nil)
                #expect(try await authenticate(process, key.secret) != nil)
                // An operator's SQL is told through the trigger like the application's own changes.
                try await environment.asSuperuser(region: "eu-west-1") { try await $0.execute("UPDATE api_keys SET revoked_at = now()") }
                #expect(try await eventually { try await authenticate(process, key.secret) == nil })

                // A key cached before its expiry stops at the expiry without any notification.
                let expiring = try await environment.services.apiKeys.create(owner.context, name: "short", permissions: ["members.read"], expiresInDays: 1)
                try await environment.asSuperuser(region: "eu-west-1") { connection in
                    try await connection.execute("UPDATE api_keys SET expires_at = now() + interval '1 second' WHERE name = 'short'")
                }
                #expect(try await eventually { try await authenticate(process, expiring.secret) != nil && process.environment.apiKeyCache.count > 0 })
                try await Task.sleep(for: .milliseconds(1_100))
                #expect(try await authenticate(process, expiring.secret) == nil)

                // Recording use (last_used_at, once a minute) is not a change: it notifies nobody and keeps the entry.
                let busy = try await environment.services.apiKeys.create(owner.context, name: "busy", permissions: ["members.read"], expiresInDays: nil)
                #expect(try await authenticate(process, busy.secret) != nil)
                let held = process.environment.apiKeyCache.count
                try await environment.asSuperuser(region: "eu-west-1") { try await $0.execute("UPDATE api_keys SET last_used_at = now()") }
                try await Task.sleep(for: .milliseconds(300))
                #expect(process.environment.apiKeyCache.count == held)
            }
        }
    }

    @Test func aLostListenerConnectionDropsTheCacheBecauseNotificationsMayHaveBeenMissed() async throws {
        try await TenancyTestEnvironment.with { environment in
            let fixtures = TenancyFixtures(services: environment.services)
            let owner = try await fixtures.tenant("Cache Gap")
            let process = environment.anotherProcess()
            let cache = process.environment.apiKeyCache
            try await environment.withListeners([process]) {
                let key = try await environment.services.apiKeys.create(owner.context, name: "gap", permissions: ["members.read"], expiresInDays: nil)
                #expect(try await authenticate(process, key.secret) != nil)
                #expect(cache.count == 1)
                // The cell's listener connection dies; while it is down the cache is not used at all.
                try await environment.asSuperuser(region: "eu-west-1") { connection in
                    try await connection.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%falaj_auth%'"
                    )
                }
                #expect(try await eventually { !cache.isTrusted })
                // Meanwhile the key is revoked and nobody is told (as if the notification was sent while disconnected).
                try await environment.asSuperuser(region: "eu-west-1") { connection in
                    try await connection.execute("ALTER TABLE api_keys DISABLE TRIGGER api_keys_auth_change")
                    try await connection.execute("UPDATE api_keys SET revoked_at = now()")
                    try await connection.execute("ALTER TABLE api_keys ENABLE TRIGGER api_keys_auth_change")
                }
                // Once the listener is back the cache is trusted again, but what it held before the gap is gone.
                #expect(try await eventually { cache.isTrusted })
                #expect(try await authenticate(process, key.secret) == nil)
            }
        }
    }
}
