import CCurl

/// Everything curl needs for one exchange, prepared and checked on the caller's task (Sendable, no C state).
struct PreparedRequest: Sendable {
    enum BodyMode: Sendable {
        case none
        case head
        /// A body read through the read callback; nil length means chunked.
        case upload(length: Int64?)
    }

    var method: String
    var url: String
    var headerLines: [String]
    var bodyMode: BodyMode
    var connectTimeoutMilliseconds: Int
    var timeoutMilliseconds: Int
    var isTLSVerificationEnabled: Bool
    var caFile: String?
}

/// The state of one transfer on its pool thread, reached from the C callbacks through `userdata`.
/// Not Sendable: it is created, used by curl and dropped inside one ``BlockingPool`` job.
final class CurlTransfer {
    let response: ResponseBodyPipe
    let requestBody: RequestBodyPipe?
    private let easy: CurlEasyHandle
    private var headers: [(name: String, value: String)] = []

    private init(easy: CurlEasyHandle, response: ResponseBodyPipe, requestBody: RequestBodyPipe?) {
        self.easy = easy
        self.response = response
        self.requestBody = requestBody
    }

    /// Runs the exchange on the calling thread (blocking) and reports its end to `response`, then closes
    /// `requestBody`. Call only on a ``BlockingPool`` thread.
    static func perform(_ request: PreparedRequest, response: ResponseBodyPipe, requestBody: RequestBodyPipe?) {
        do {
            let easy = try CurlEasyHandle.forCurrentThread()
            let transfer = CurlTransfer(easy: easy, response: response, requestBody: requestBody)
            try withExtendedLifetime(transfer) { () throws(HTTPClientError) in
                try transfer.configure(request, userData: Unmanaged.passUnretained(transfer).toOpaque())
                let code = easy.perform()
                if code == CURLE_OK {
                    transfer.publishHeadIfNeeded()
                    response.finish(.success(()))
                } else if let sourceError = requestBody?.sourceError {
                    response.finish(.failure(sourceError))
                } else {
                    response.finish(.failure(Self.error(for: code, message: easy.message(for: code))))
                }
            }
        } catch {
            response.finish(.failure(error))
        }
        requestBody?.close()
    }

    private func configure(_ request: PreparedRequest, userData: UnsafeMutableRawPointer) throws(HTTPClientError) {
        try easy.set(CURLOPT_URL, request.url)
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_NOSIGNAL, 1)  // no SIGALRM for DNS timeouts: required with threads
        try easy.set(CURLOPT_FOLLOWLOCATION, 0)
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeoutMilliseconds)
        try easy.set(CURLOPT_TIMEOUT_MS, request.timeoutMilliseconds)
        try easy.set(CURLOPT_SSL_VERIFYPEER, request.isTLSVerificationEnabled ? 1 : 0)
        try easy.set(CURLOPT_SSL_VERIFYHOST, request.isTLSVerificationEnabled ? 2 : 0)
        if let caFile = request.caFile {
            try easy.set(CURLOPT_CAINFO, caFile)
        }
        switch request.bodyMode {
        case .head:
            try easy.set(CURLOPT_NOBODY, 1)
        case .none:
            if request.method == "GET" {
                try easy.set(CURLOPT_HTTPGET, 1)
            } else {
                try easy.set(CURLOPT_CUSTOMREQUEST, request.method)
            }
        case .upload(let length):
            if request.method == "PUT" {
                try easy.set(CURLOPT_UPLOAD, 1)
                try easy.set(CURLOPT_INFILESIZE_LARGE, offset: length ?? -1)
            } else {
                try easy.set(CURLOPT_POST, 1)
                try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: length ?? -1)
                if request.method != "POST" {
                    try easy.set(CURLOPT_CUSTOMREQUEST, request.method)
                }
            }
        }
        try easy.setHeaders(request.headerLines)
        try easy.setCallbacks(
            write: curlWriteCallback,
            header: curlHeaderCallback,
            read: curlReadCallback,
            progress: curlProgressCallback,
            userData: userData
        )
    }

    /// Publishes the status and the headers of the final response (interim 1xx responses were reset away).
    func publishHeadIfNeeded() {
        response.publishHead(HTTPResponseHead(status: easy.responseCode, headers: headers))
    }

    /// One raw header line from curl: a status line starts a new header block (after `100 Continue`), a `name: value`
    /// line is kept with spaces, tabs and the line end trimmed from both parts (byte-wise: header names are ASCII).
    fileprivate func receivedHeaderLine(_ line: UnsafeRawBufferPointer) {
        if line.starts(with: "HTTP/".utf8) {
            headers.removeAll()
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            headers.append((Self.trimmed(line[..<colon]), Self.trimmed(line[(colon + 1)...])))
        }
    }

    /// The bytes as a string without leading and trailing spaces, tabs, carriage returns and line feeds.
    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    private static func error(for code: CURLcode, message: String) -> HTTPClientError {
        let kind: HTTPClientError.Code
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            kind = .timedOut
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_PROXY:
            kind = .connectFailed
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CIPHER:
            kind = .tlsFailed
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            kind = .invalidRequest
        default:
            kind = .transferFailed
        }
        return HTTPClientError(kind, message: message, curlCode: Int(code.rawValue))
    }
}


// MARK: C callbacks (run on the transfer's pool thread, inside curl_easy_perform)

private func transfer(from userData: UnsafeMutableRawPointer?) -> CurlTransfer {
    Unmanaged<CurlTransfer>.fromOpaque(userData!).takeUnretainedValue()
}

private func curlWriteCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userData: UnsafeMutableRawPointer?) -> Int {
    let transfer = transfer(from: userData)
    let byteCount = size * count
    transfer.publishHeadIfNeeded()
    guard byteCount > 0, let data else { return 0 }
    let bytes = [UInt8](UnsafeRawBufferPointer(start: data, count: byteCount))
    // Returning less than byteCount makes curl stop with CURLE_WRITE_ERROR.
    return transfer.response.write(bytes) ? byteCount : 0
}

private func curlHeaderCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userData: UnsafeMutableRawPointer?) -> Int {
    let byteCount = size * count
    guard let data else { return byteCount }
    transfer(from: userData).receivedHeaderLine(UnsafeRawBufferPointer(start: data, count: byteCount))
    return byteCount
}

private func curlReadCallback(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userData: UnsafeMutableRawPointer?) -> Int {
    guard let body = transfer(from: userData).requestBody, let buffer else { return 0 }
    switch body.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count)) {
    case .bytes(let n): return n
    case .end: return 0
    case .abort: return Int(CURL_READFUNC_ABORT)
    }
}

/// Called by curl about once a second and during waits: a non-zero return aborts a transfer whose consumer is gone.
private func curlProgressCallback(_ userData: UnsafeMutableRawPointer?, _: curl_off_t, _: curl_off_t, _: curl_off_t, _: curl_off_t) -> Int32 {
    transfer(from: userData).response.isCancelled ? 1 : 0
}
