import Glibc

/// Small POSIX file helpers for writing generated certificates and keys.
enum TLSFiles {
    /// `directory/name`, without doubling a trailing slash.
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Creates `path` and any missing parents with mode 0700, like `mkdir -p`.
    static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) != 0 {
                let savedErrno = errno
                var info = stat()
                guard savedErrno == EEXIST, stat(prefix, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                    throw TLSError(.cannotWriteFile, "cannot create directory \(prefix): \(describe(savedErrno))")
                }
            }
            prefix += "/"
        }
    }

    /// Writes `bytes` to a temporary file beside `path` with `mode`, flushes it, and renames it over `path`.
    static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
        let temporaryPath = "\(path).tmp-\(getpid())"
        let fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else {
            throw TLSError(.cannotWriteFile, "cannot write \(path): \(describe(errno))")
        }
        var isClosed = false
        defer {
            if !isClosed {
                close(fd)
                unlink(temporaryPath)
            }
        }
        guard fchmod(fd, mode) == 0 else {
            throw TLSError(.cannotWriteFile, "cannot set the mode of \(path): \(describe(errno))")
        }
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    let savedErrno = errno
                    if savedErrno == EINTR { continue }
                    throw TLSError(.cannotWriteFile, "cannot write \(path): \(describe(savedErrno))")
                }
                offset += written
            }
        }
        guard fsync(fd) == 0 else {
            throw TLSError(.cannotWriteFile, "cannot write \(path): \(describe(errno))")
        }
        isClosed = true
        guard close(fd) == 0, rename(temporaryPath, path) == 0 else {
            let savedErrno = errno
            unlink(temporaryPath)
            throw TLSError(.cannotWriteFile, "cannot write \(path): \(describe(savedErrno))")
        }
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
