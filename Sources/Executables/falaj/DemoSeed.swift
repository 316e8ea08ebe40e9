import BlockingPool
import FalajCrypto
import Foundation
import Logging
import Tenancy

/// Seeds a demo operator and a demo tenant on an embedded (development) installation, once, and remembers the
/// generated passwords in `<data-dir>/demo-login.txt` (mode 0600) so every `make run` can print them.
enum DemoSeed {
    struct Credentials {
        var ownerEmail = "owner@demo.falaj.test"
        var operatorEmail = "operator@demo.falaj.test"
        var password: String
    }

    static func ensure(tenancy: TenancyServices, dataDirectory: String, logger: Logger) async throws -> Credentials {
        let file = dataDirectory + "/demo-login.txt"
        let stored = try await BlockingPoolFiles.read(file)
        let password = stored?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "demo-" + SecureRandom.token(byteCount: 12)
        if stored == nil { try await BlockingPoolFiles.writePrivate(file, password + "\n") }
        let credentials = Credentials(password: password)
        try await tenancy.operators.ensureOperator(email: credentials.operatorEmail, displayName: "Demo operator", password: password)
        let existing = try await tenancy.directory.all()
        if !existing.contains(where: { $0.slug == "demo" || $0.slug.hasPrefix("demo-") }) {
            _ = try await tenancy.signUp.signUp(
                SignUpForm(organisation: "Demo", region: "me-central-1", email: credentials.ownerEmail, password: password, displayName: "Demo owner", plan: "enterprise")
            )
            logger.info("seeded the demo tenant and operator")
        }
        return credentials
    }
}

/// Small file helpers that run on the blocking pool.
enum BlockingPoolFiles {
    static func read(_ path: String) async throws -> String? {
        await BlockingPool.shared.run { try? String(contentsOfFile: path, encoding: .utf8) }
    }

    static func writePrivate(_ path: String, _ text: String) async throws {
        try await BlockingPool.shared.run {
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw BootstrapError(message: "cannot write \(path)")
            }
        }
    }
}
