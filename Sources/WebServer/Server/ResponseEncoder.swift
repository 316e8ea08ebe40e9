import HTTPTypes

/// Serialises response heads and chunk framing into bytes.
enum ResponseEncoder {
    /// How the body is delimited on the wire.
    enum Framing {
        case length(Int)
        case chunked
        /// No length: the body ends when the connection closes (streams to HTTP/1.0 clients).
        case untilClose
        /// 1xx, 204 and 304 carry no body and no length.
        case noBody
    }

    private static let crlf: [UInt8] = [0x0D, 0x0A]
    private static let statusLines: [Int: [UInt8]] = {
        var lines: [Int: [UInt8]] = [:]
        for status in [HTTPResponse.Status.ok, .created, .accepted, .noContent, .movedPermanently, .found, .seeOther, .notModified,
            .badRequest, .unauthorized, .forbidden, .notFound, .methodNotAllowed, .conflict, .internalServerError, .serviceUnavailable]
        {
            lines[status.code] = Array("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n".utf8)
        }
        return lines
    }()

    /// Appends the status line, the handler's fields and the server's framing fields.
    static func appendHead(
        to out: inout [UInt8],
        status: HTTPResponse.Status,
        fields: HTTPFields,
        framing: Framing,
        keepAlive: Bool,
        clientMinorVersion: Int,
        date: [UInt8]
    ) {
        if let line = statusLines[status.code], status.reasonPhrase == HTTPResponse.Status(code: status.code).reasonPhrase {
            out.append(contentsOf: line)
        } else {
            out.append(contentsOf: "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n".utf8)
        }
        for field in fields {
            switch field.name {
            case .contentLength, .transferEncoding, .connection, .date: continue
            default:
                out.append(contentsOf: field.name.rawName.utf8)
                out.append(0x3A)
                out.append(0x20)
                out.append(contentsOf: field.value.utf8)
                out.append(contentsOf: crlf)
            }
        }
        out.append(contentsOf: "Date: ".utf8)
        out.append(contentsOf: date)
        out.append(contentsOf: crlf)
        switch framing {
        case .length(let length):
            out.append(contentsOf: "Content-Length: ".utf8)
            out.append(contentsOf: String(length).utf8)
            out.append(contentsOf: crlf)
        case .chunked:
            out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        case .untilClose, .noBody:
            break
        }
        if !keepAlive {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if clientMinorVersion == 0 {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: crlf)
    }

    /// Appends one chunk in chunked framing.
    static func appendChunk(to out: inout [UInt8], _ bytes: [UInt8]) {
        out.append(contentsOf: String(bytes.count, radix: 16).utf8)
        out.append(contentsOf: crlf)
        out.append(contentsOf: bytes)
        out.append(contentsOf: crlf)
    }

    /// The last chunk with no trailers.
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    /// A complete plain-text error response that closes the connection (for requests rejected before routing).
    static func errorResponse(status: HTTPResponse.Status, message: String, requestID: String, date: [UInt8]) -> [UInt8] {
        let body = Array("\(status.code) \(status.reasonPhrase): \(message)\n".utf8)
        var out: [UInt8] = []
        appendHead(
            to: &out,
            status: status,
            fields: [.contentType: "text/plain; charset=utf-8", .requestID: requestID],
            framing: .length(body.count),
            keepAlive: false,
            clientMinorVersion: 1,
            date: date
        )
        out.append(contentsOf: body)
        return out
    }

    /// Whether a response with this status to this method carries no body.
    static func hasNoBody(status: HTTPResponse.Status) -> Bool {
        status.kind == .informational || status == .noContent || status == .notModified
    }
}
