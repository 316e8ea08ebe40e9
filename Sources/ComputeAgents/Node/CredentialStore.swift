public import AgentProtocol
import BlockingPool
public import Foundation
import Glibc

/// What the agent keeps between runs: who it is and the credential it authenticates with.
public struct StoredAgentIdentity: Codable, Sendable, Equatable {
    /// The agent's id.
    public var agentID: UUID
    /// Its region.
    public var region: String
    /// The server it registered with.
    public var serverURL: String
    /// The current credential (token and expiry).
    public var credential: AgentCredential

    /// Creates an identity.
    public init(agentID: UUID, region: String, serverURL: String, credential: AgentCredential) {
        self.agentID = agentID
        self.region = region
        self.serverURL = serverURL
        self.credential = credential
    }
}

/// `<data-dir>/agent.json`: the stored identity, written atomically with mode 0600 in a 0700 directory (0711 when
/// the agent runs jobs as another user, who must traverse it to reach `work/`).
///
/// Loading refuses a file that group or others can read (a leaked credential is a node anyone can impersonate).
/// File I/O runs on ``BlockingPool/shared``.
public struct CredentialStore: Sendable {
    /// The agent's data directory.
    public let directory: String
    /// `<directory>/agent.json`.
    public var path: String { directory + "/agent.json" }

    /// Creates a store for `directory` (created on the first save).
    public init(directory: String) { self.directory = directory }

    /// The stored identity, or nil when there is none yet.
    /// - Throws: ``CredentialStoreError`` when the file is readable by group/others or unreadable.
    public func load() async throws -> StoredAgentIdentity? {
        let path = path
        return try await BlockingPool.shared.run { () throws -> StoredAgentIdentity? in
            var info = stat()
            guard lstat(path, &info) == 0 else {
                if errno == ENOENT { return nil }
                throw CredentialStoreError(message: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            guard (info.st_mode & S_IFMT) == S_IFREG else { throw CredentialStoreError(message: "\(path) is not a regular file") }
            guard info.st_mode & 0o077 == 0 else {
                throw CredentialStoreError(message: String(format: "refusing to use %@: its mode is %o; it must be readable by its owner only (chmod 600)", path, info.st_mode & 0o777))
            }
            guard let data = FileManager.default.contents(atPath: path) else { throw CredentialStoreError(message: "cannot read \(path)") }
            do {
                return try AgentProtocol.decoder.decode(StoredAgentIdentity.self, from: data)
            } catch {
                throw CredentialStoreError(message: "\(path) is not a valid agent identity: \(error)")
            }
        }
    }

    /// Writes `identity` to a temporary 0600 file and renames it over `agent.json`; creates the directory with 0700.
    public func save(_ identity: StoredAgentIdentity) async throws {
        let directory = directory
        let path = path
        let data = try AgentProtocol.encoder.encode(identity)
        try await BlockingPool.shared.run { try Self.writeAtomically(data, to: path, directory: directory) }
    }

    /// Writes `data` with mode 0600 via a temporary file and `rename`, after making `directory` (0700). Blocking.
    static func writeAtomically(_ data: Data, to path: String, directory: String) throws {
        if mkdir(directory, 0o700) != 0 {
            guard errno == EEXIST else { throw CredentialStoreError(message: "cannot create \(directory): \(String(cString: strerror(errno)))") }
            // An existing directory keeps at most owner access plus traversal (0711, which the runtime sets so that
            // job users reach their work directories); group and others never list or write it.
            var info = stat()
            if stat(directory, &info) == 0 { chmod(directory, info.st_mode & 0o711) }
        }
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw CredentialStoreError(message: "cannot write \(temporary): \(String(cString: strerror(errno)))") }
        fchmod(descriptor, 0o600)
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == data.count, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CredentialStoreError(message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// The stored identity cannot be used.
public struct CredentialStoreError: Error, Sendable, CustomStringConvertible {
    /// What is wrong and what to do.
    public let message: String
    /// The message.
    public var description: String { message }
}
