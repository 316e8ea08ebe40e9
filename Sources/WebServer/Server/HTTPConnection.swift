import CSystemShim
import Foundation
import HTTPTypes
import Logging
import Synchronization

/// One client connection, owned by one event loop for its whole life.
///
/// It reads and parses on the loop, starts a task per request (preferring the loop as executor),
/// and writes responses in request order. At most one request is handled at a time; pipelined
/// requests wait in the parser's buffer until the previous response is written.
final class HTTPConnection: EventLoopHandler {
    let fd: Int32
    let id: UInt64
    unowned let loop: EventLoop
    let server: ServerState
    let remoteAddress: String
    var transport: ConnectionTransport
    var parser: HTTPRequestParser
    /// Set once by `close()`; nothing touches the socket afterwards.
    var isClosed = false

    /// The request being handled, if any.
    var current: InFlightRequest?
    var requestSequence = 0
    /// Bytes waiting to be written, from `outboundOffset`.
    var outbound: [UInt8] = []
    var outboundOffset = 0
    /// A file being sent after `outbound` drains.
    var pendingFile: PendingFile?
    /// Stream writers waiting for `outbound` to drain.
    var streamWaiters: [CheckedContinuation<Void, any Error>] = []
    /// Close once `outbound` is flushed (error responses, `Connection: close`, draining).
    var closeWhenFlushed = false
    var isReadPaused = false
    var isWriteBlocked = false
    /// Time of the last byte read or written; drives the idle and header deadlines.
    var lastActivity = ContinuousClock.now
    var headerStart: ContinuousClock.Instant?
    /// Set while closing gracefully after a refused request (see ``closeGracefully()``).
    var lingerStart: ContinuousClock.Instant?
    var lingeredBytes = 0
    let openedAt = ContinuousClock.now

    init(fd: Int32, loop: EventLoop, server: ServerState, remoteAddress: String, transport: ConnectionTransport) {
        self.fd = fd
        self.id = server.makeConnectionID()
        self.loop = loop
        self.server = server
        self.remoteAddress = remoteAddress
        self.transport = transport
        self.parser = HTTPRequestParser(limits: server.limits)
    }

    var handle: ConnectionHandle { ConnectionHandle(loop: loop, fd: fd, id: id) }

    // MARK: Events

    func handleEvents(_ events: UInt32) {
        if case .handshaking = transport.phase {
            readAvailable()  // drives the handshake whichever way it waits
            return
        }
        if events & (FALAJ_EPOLLHUP | FALAJ_EPOLLERR) != 0, !wantsInput {
            // Reset (epoll reports HUP/ERR whatever the interest) while we were not reading: nothing can be sent
            // any more, and reading now would buffer input we asked not to get.
            close()
            return
        }
        if events & FALAJ_EPOLLIN != 0 || events & (FALAJ_EPOLLHUP | FALAJ_EPOLLERR | FALAJ_EPOLLRDHUP) != 0 {
            readAvailable()
        }
        if !isClosed && events & FALAJ_EPOLLOUT != 0 {
            flush()
        }
    }

    private func readAvailable() {
        guard !isClosed else { return }
        if case .handshaking = transport.phase {
            continueHandshake()
            return
        }
        if let lingerStart {
            drainWhileLingering(since: lingerStart)
            return
        }
        let outcome = transport.read(fd: fd, into: &loop.readBuffer)
        switch outcome {
        case .bytes(let count):
            lastActivity = .now
            if headerStart == nil && current == nil && parser.isIdle { headerStart = lastActivity }
            loop.readBuffer.withUnsafeBytes { parser.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            processInput()
            if transport.hasBufferedInput && !isReadPaused && !isClosed { readAvailable() }
        case .wouldBlock:
            return
        case .closed:
            peerClosed()
        case .failed(let reason):
            server.logger.debug("connection read failed", metadata: ["reason": "\(reason)"])
            close()
        }
    }

    private func continueHandshake() {
        switch transport.continueHandshake() {
        case .complete:
            updateInterest()
            readAvailable()
        case .wantRead, .wantWrite:
            updateInterest()
        case .closed, .failed:
            close()
        }
    }

    /// The client closed its side: finish the response in flight if any, then close.
    private func peerClosed() {
        if let current, !current.isBodyComplete {
            current.bodyStream?.fail(ConnectionClosedError())
            close()
            return
        }
        if current == nil {
            close()
        } else {
            closeWhenFlushed = true
            isReadPaused = true
            updateInterest()
        }
    }

    // MARK: Parsing and dispatch

    /// Turns buffered bytes into requests until a request needs a response first or bytes run out.
    func processInput() {
        while !isClosed {
            // A refused request or `Connection: close` ends the connection: never start another request on it.
            if closeWhenFlushed && current == nil { break }
            if let current, current.isBodyComplete { break }
            if isReadPaused, current?.bodyStream != nil { break }
            let event: HTTPRequestParser.Event?
            do {
                event = try parser.next()
            } catch {
                failRequest(error)
                return
            }
            guard let event else { break }
            switch event {
            case .head(let box):
                startRequest(box.head)
            case .body(let chunk):
                guard let current else { continue }
                current.lastBodyProgress = .now
                if let stream = current.bodyStream, !current.isDiscardingBody, stream.append(chunk) {
                    isReadPaused = true
                    updateInterest()
                }
            case .end:
                guard let current else { continue }
                current.isBodyComplete = true
                current.bodyStream?.finish()
                if current.isResponseComplete { finishExchange() }
            }
        }
        // Part of a pipelined head read while the previous request was in flight: its deadline starts now,
        // since readAvailable only starts it for bytes arriving on an idle connection.
        if !isClosed, current == nil, headerStart == nil, parser.isReadingHead { headerStart = .now }
        updateInterest()
    }

    private func startRequest(_ head: HTTPRequestHead) {
        headerStart = nil
        requestSequence += 1
        let limit = server.responder.maxBodySize(for: head) ?? server.limits.maxBodySize
        parser.bodyLimit = limit
        if case .contentLength(let length) = head.framing, length > limit {
            failRequest(HTTPParseError(.bodyTooLarge, "request body exceeds \(limit) bytes"))
            return
        }
        let requestID = Self.clientRequestID(head) ?? server.makeRequestID(connectionID: id, sequence: requestSequence)
        guard let pathSegments = PercentDecoding.pathSegments(head.rawPath),
            let queryItems = head.rawQuery.map({ PercentDecoding.queryItems($0) }) ?? [],
            head.rawPath.hasPrefix("/") || head.rawPath == "*" || head.method == .connect
        else {
            failRequest(HTTPParseError(.malformed, "invalid percent-encoding in request target"))
            return
        }
        let inFlight = InFlightRequest(head: head, requestID: requestID)
        current = inFlight
        let body: RequestBody
        if !head.hasBody {
            body = .empty  // the parser's `.end` follows at once
        } else if case .contentLength(let length) = head.framing, length <= parser.bufferedByteCount, length <= 1 << 20 {
            body = RequestBody(bytes: drainBufferedBody(length))
        } else {
            let handle = self.handle
            let stream = RequestBodyStream(onDemand: { handle.run { $0.resumeReading() } })
            inFlight.bodyStream = stream
            body = RequestBody(storage: .stream(stream))
            if head.expectsContinue {
                // Send it now: the client waits for it before sending the body the handler is about to read.
                enqueue(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                flush()
            }
        }
        let request = Request(
            head: head,
            path: "/" + pathSegments.joined(separator: "/"),
            pathSegments: pathSegments,
            queryItems: queryItems.map { QueryItem(name: $0.name, value: $0.value) },
            body: body,
            id: requestID,
            remoteAddress: remoteAddress,
            isSecure: transport.isSecure
        )
        dispatch(request, sequence: requestSequence)
    }

    /// Pulls a small body that is already fully buffered, so the handler gets it without a stream.
    private func drainBufferedBody(_ length: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        while let event = try? parser.next() {
            if case .body(let chunk) = event { bytes.append(contentsOf: chunk) }
            if case .end = event {
                current?.isBodyComplete = true
                break
            }
        }
        return bytes
    }

    private func dispatch(_ request: Request, sequence: Int) {
        let responder = server.responder
        let handle = self.handle
        Task(executorPreference: loop) {
            let response = await responder.respond(to: request)
            handle.run { $0.startResponse(response, sequence: sequence) }
            if case .stream(let produce) = response.body.storage, request.method != .head {
                do {
                    try await produce(ResponseBodyWriter(handle: handle))
                    handle.run { $0.finishStream() }
                } catch {
                    handle.run { $0.abortStream() }
                }
            }
        }
    }

    private static func clientRequestID(_ head: HTTPRequestHead) -> String? {
        guard let value = head.headerFields[.requestID], (1...64).contains(value.utf8.count),
            value.utf8.allSatisfy({ HTTPSyntax.isTokenByte($0) })
        else { return nil }
        return value
    }

    /// Answers a request that could not be parsed or accepted, then closes.
    func failRequest(_ error: HTTPParseError) {
        current?.bodyStream?.fail(error)
        server.logger.debug("rejected request", metadata: ["status": "\(error.status.code)", "reason": "\(error.reason)"])
        if let current, current.isResponseStarted {
            close()
            return
        }
        current = nil
        isReadPaused = true
        let requestID = server.makeRequestID(connectionID: id, sequence: requestSequence + 1)
        enqueue(ResponseEncoder.errorResponse(status: error.status, message: error.reason, requestID: requestID, date: loop.dateHeader))
        closeWhenFlushed = true
        flush()
    }

    /// Called when a body reader drained the stream below its low watermark.
    func resumeReading() {
        guard isReadPaused, !closeWhenFlushed else { return }
        isReadPaused = false
        processInput()
        updateInterest()
    }

    /// Whether request bytes are wanted now: not paused by a slow body reader, not waiting to answer a
    /// complete request (pipelining), not closing.
    private var wantsInput: Bool {
        if lingerStart != nil { return true }
        let pipelinedWaiting = current?.isBodyComplete == true
        return !isReadPaused && !pipelinedWaiting && !closeWhenFlushed
    }

    /// Watches for reads unless paused, and writes while output is blocked.
    ///
    /// RDHUP is watched only together with IN: it is level-triggered, so watching it while not reading would
    /// wake the loop continuously once the client half-closes, and reading on it would ignore back-pressure.
    func updateInterest() {
        guard !isClosed else { return }
        var events: UInt32 = 0
        switch transport.continueHandshakeInterest {
        case .some(let wantsWrite):
            events |= FALAJ_EPOLLRDHUP | (wantsWrite ? FALAJ_EPOLLOUT : FALAJ_EPOLLIN)
        case .none:
            if wantsInput { events |= FALAJ_EPOLLIN | FALAJ_EPOLLRDHUP }
            if isWriteBlocked { events |= FALAJ_EPOLLOUT }
        }
        loop.modify(fd: fd, events: events)
    }

}

/// The state of the request a connection is handling.
final class InFlightRequest {
    let head: HTTPRequestHead
    let requestID: String
    var bodyStream: RequestBodyStream?
    var isBodyComplete = false
    var isDiscardingBody = false
    var isResponseStarted = false
    var isResponseComplete = false
    /// Every byte of the response has been handed to `outbound` or `pendingFile`.
    var isResponseQueued = false
    var isChunked = false
    var suppressBody = false
    var lastBodyProgress = ContinuousClock.now

    init(head: HTTPRequestHead, requestID: String) {
        self.head = head
        self.requestID = requestID
    }
}

extension HTTPParseError {
    /// The same reason answered as 408 Request Timeout.
    var asTimeout: HTTPParseError { HTTPParseError(.requestTimeout, reason) }
}
