import Glibc

extension ProcessUser {
    /// Looks a user up by name in the password database (`getpwnam_r`).
    ///
    /// Blocks while NSS answers (files, LDAP, …): call it at startup or from a ``BlockingPool``.
    /// - Parameter name: a user name such as `nobody`.
    /// - Returns: the user and its primary group, or nil when there is no such user.
    public static func named(_ name: String) -> ProcessUser? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16 << 10)
        let status = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
        guard status == 0, result != nil else { return nil }
        return ProcessUser(uid: entry.pw_uid, gid: entry.pw_gid)
    }

    /// Whether this process runs as root (effective uid 0), i.e. may switch users.
    public static var isRoot: Bool { geteuid() == 0 }
}
