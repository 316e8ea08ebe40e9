import FalajCrypto
import Foundation

/// The installation's master secret, from which login routing, CSRF and MFA-sealing keys are derived.
///
/// `FALAJ_SECRET_KEY` (base64url, at least 32 bytes) wins; otherwise `<data-dir>/secret.key` is read, and created
/// with mode 0600 on first start. Every control-plane replica must use the same secret. Reads and writes files:
/// call it on a blocking thread.
enum ServerSecret {
    static func load(dataDirectory: String, environment: [String: String]) throws -> [UInt8] {
        if let text = environment["FALAJ_SECRET_KEY"], !text.isEmpty {
            guard let bytes = Base64URL.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count >= 32 else {
                throw BootstrapError(message: "FALAJ_SECRET_KEY must be at least 32 random bytes in base64url (try: openssl rand -base64 32 | tr '+/' '-_' | tr -d '=')")
            }
            return bytes
        }
        let path = dataDirectory + "/secret.key"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            guard let bytes = Base64URL.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count >= 32 else {
                throw BootstrapError(message: "\(path) is damaged: it must hold at least 32 bytes in base64url")
            }
            return bytes
        }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let bytes = SecureRandom.bytes(count: 32)
        guard FileManager.default.createFile(atPath: path, contents: Data((Base64URL.encode(bytes) + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw BootstrapError(message: "cannot create \(path)")
        }
        return bytes
    }
}
