import Foundation
import HTTPTypes

/// Serves files under a root folder (the repository's `Public/`) with validators and no path traversal.
///
/// Mount it on a catch-all route, e.g. `routes.get("/static/**", StaticFiles(root: …).handler(mountDepth: 1))`.
/// Segments that are empty, `.`/`..`, hidden (leading `.`) or contain `/` or NUL are refused with 404, and the
/// resolved real path must stay under the root, so symlinks cannot escape it. Responses carry `ETag` and
/// `Last-Modified`; `If-None-Match` / `If-Modified-Since` give 304. File metadata calls are short and run on the
/// event loop; the body goes out with sendfile(2).
public struct StaticFiles: Sendable {
    /// The real path of the root folder.
    public let root: String
    /// The `Cache-Control` value sent with every file (default: revalidate each time, cheap thanks to 304).
    public let cacheControl: String

    /// Serves files below `root`; throws when it is not a readable folder.
    public init(root: String, cacheControl: String = "public, max-age=0, must-revalidate") throws {
        guard let resolved = Self.realPath(root) else { throw HTTPError(.internalServerError, "static file root \(root) does not exist") }
        self.root = resolved
        self.cacheControl = cacheControl
    }

    /// A handler for a route whose first `mountDepth` path segments are the mount point.
    public func handler(mountDepth: Int) -> RequestHandler {
        { request in try self.response(for: request, relativeSegments: Array(request.pathSegments.dropFirst(mountDepth))) }
    }

    /// The response for the file at `relativeSegments` below the root, or 404.
    public func response(for request: Request, relativeSegments: [String]) throws -> Response {
        let notFound = HTTPError(.notFound, "No file at \(request.path)")
        guard !relativeSegments.isEmpty, relativeSegments.allSatisfy(Self.isSafeSegment) else { throw notFound }
        let candidate = root + "/" + relativeSegments.joined(separator: "/")
        guard let resolved = Self.realPath(candidate), resolved.hasPrefix(root + "/") else { throw notFound }
        var info = stat()
        guard stat(resolved, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(resolved, R_OK) == 0 else { throw notFound }

        let modified = info.st_mtim
        let etag = "\"\(String(info.st_size, radix: 16))-\(String(modified.tv_sec, radix: 16))\(String(modified.tv_nsec / 1000, radix: 16))\""
        let lastModified = String(decoding: HTTPDate.format(modified.tv_sec), as: UTF8.self)
        var fields: HTTPFields = [
            .contentType: Self.contentType(forExtension: (resolved as NSString).pathExtension),
            .eTag: etag,
            .lastModified: lastModified,
            .cacheControl: cacheControl,
        ]
        if Self.isNotModified(request: request, etag: etag, modifiedSeconds: modified.tv_sec) {
            fields[.contentType] = nil
            return Response(status: .notModified, headerFields: fields)
        }
        fields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(headerFields: fields, body: .file(FileRegion(path: resolved, length: Int(info.st_size))))
    }

    static func isSafeSegment(_ segment: String) -> Bool {
        !segment.isEmpty && !segment.hasPrefix(".") && !segment.contains("/") && !segment.contains("\0") && !segment.contains("\\")
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// RFC 9110 §13.1: If-None-Match wins over If-Modified-Since.
    static func isNotModified(request: Request, etag: String, modifiedSeconds: Int) -> Bool {
        guard request.method == .get || request.method == .head else { return false }
        if let ifNoneMatch = request.headerFields[.ifNoneMatch] {
            let tags = ifNoneMatch.split(separator: ",").map { $0.trimmingWhitespace() }
            return tags.contains { $0 == "*" || $0 == etag || $0 == "W/" + etag }
        }
        if let since = request.headerFields[.ifModifiedSince], let sinceSeconds = HTTPDate.parse(since) {
            return modifiedSeconds <= sinceSeconds
        }
        return false
    }

    /// The media type for a file extension; `application/octet-stream` when unknown.
    public static func contentType(forExtension ext: String) -> String {
        switch ext.lowercased() {
        case "html", "htm": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "json", "map": "application/json"
        case "txt": "text/plain; charset=utf-8"
        case "csv": "text/csv; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "gif": "image/gif"
        case "webp": "image/webp"
        case "ico": "image/x-icon"
        case "woff": "font/woff"
        case "woff2": "font/woff2"
        case "pdf": "application/pdf"
        case "wasm": "application/wasm"
        default: "application/octet-stream"
        }
    }
}
