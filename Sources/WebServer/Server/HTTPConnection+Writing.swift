import CSystemShim
import Foundation
import HTTPTypes
import Synchronization

/// A file body being sent, after the head.
struct PendingFile {
    let descriptor: Int32
    var offset: Int64
    var remaining: Int

    func close() { _ = Foundation.close(descriptor) }
}

extension HTTPConnection {
    /// Appends bytes to the output queue (written by ``flush()``).
    func enqueue(_ bytes: [UInt8]) {
        if outboundOffset == outbound.count {
            outbound.removeAll(keepingCapacity: true)
            outboundOffset = 0
        }
        outbound.append(contentsOf: bytes)
    }

    var pendingOutboundBytes: Int { outbound.count - outboundOffset }

    /// Starts writing the handler's response for request `sequence`.
    func startResponse(_ response: Response, sequence: Int) {
        guard let current, sequence == requestSequence, !current.isResponseStarted else { return }
        current.isResponseStarted = true
        let head = current.head
        let isDraining = server.isDraining.load(ordering: .relaxed)
        var keepAlive = head.keepAlive && !isDraining && !closeWhenFlushed
        let suppressBody = head.method == .head || ResponseEncoder.hasNoBody(status: response.status)
        var framing: ResponseEncoder.Framing
        switch response.body.storage {
        case .bytes(let bytes):
            framing = ResponseEncoder.hasNoBody(status: response.status) ? .noBody : .length(bytes.count)
        case .file(let region):
            framing = .length(region.length)
        case .stream:
            if let declared = response.headerFields[.contentLength].flatMap({ Int($0) }) {
                framing = .length(declared)
            } else if head.minorVersion == 0 {
                framing = .untilClose
                keepAlive = false
            } else {
                framing = .chunked
            }
        }
        if suppressBody, case .chunked = framing { framing = .noBody }
        if !keepAlive { closeWhenFlushed = true }
        current.isChunked = !suppressBody && { if case .chunked = framing { return true } else { return false } }()
        current.suppressBody = suppressBody
        var out: [UInt8] = []
        out.reserveCapacity(256 + (response.body.knownLength ?? 0))
        if outboundOffset == outbound.count {
            swap(&out, &outbound)
            out.removeAll(keepingCapacity: true)
            outboundOffset = 0
        }
        ResponseEncoder.appendHead(
            to: &out,
            status: response.status,
            fields: response.headerFields,
            framing: framing,
            keepAlive: keepAlive,
            clientMinorVersion: head.minorVersion,
            date: loop.dateHeader
        )
        switch response.body.storage {
        case .bytes(let bytes):
            if !suppressBody { out.append(contentsOf: bytes) }
            current.isResponseQueued = true
        case .file(let region):
            if !suppressBody {
                let descriptor = open(region.path, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else {
                    close()
                    return
                }
                pendingFile = PendingFile(descriptor: descriptor, offset: Int64(region.offset), remaining: region.length)
            }
            current.isResponseQueued = true
        case .stream:
            current.isResponseQueued = suppressBody
        }
        if outbound.isEmpty { outbound = out } else { outbound.append(contentsOf: out) }
        flush()
    }

    /// Queues one part of a streamed body; resumes the writer at once unless output is backed up.
    func writeStreamChunk(_ bytes: [UInt8], continuation: CheckedContinuation<Void, any Error>) {
        guard let current, current.isResponseStarted, !current.isResponseQueued else {
            continuation.resume(throwing: ConnectionClosedError())
            return
        }
        if current.suppressBody {
            continuation.resume()
            return
        }
        if current.isChunked {
            var framed: [UInt8] = []
            ResponseEncoder.appendChunk(to: &framed, bytes)
            enqueue(framed)
        } else {
            enqueue(bytes)
        }
        if pendingOutboundBytes < Self.streamHighWatermark {
            continuation.resume()
        } else {
            streamWaiters.append(continuation)
        }
        flush()
    }

    /// The streamed body ended normally.
    func finishStream() {
        guard let current, current.isResponseStarted, !current.isResponseQueued else { return }
        if current.isChunked { enqueue(ResponseEncoder.lastChunk) }
        current.isResponseQueued = true
        flush()
    }

    /// The body producer threw: the response cannot be completed correctly, so the connection closes.
    func abortStream() {
        close()
    }

    static let streamHighWatermark = 256 * 1024

    /// Writes queued bytes (and file bodies) until done or the socket is full.
    func flush() {
        guard !isClosed else { return }
        if case .handshaking = transport.phase { return }
        while true {
            while outboundOffset < outbound.count {
                let outcome = outbound.withUnsafeBytes { transport.write(fd: fd, UnsafeRawBufferPointer(rebasing: $0[outboundOffset...])) }
                switch outcome {
                case .bytes(let count):
                    outboundOffset += count
                    lastActivity = .now
                case .wouldBlock:
                    blockWrites()
                    return
                case .closed, .failed:
                    close()
                    return
                }
            }
            guard pendingFile != nil else { break }
            if !sendFileChunk() { return }
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 1 << 20)
        outboundOffset = 0
        if isWriteBlocked {
            isWriteBlocked = false
            updateInterest()
        }
        let waiters = streamWaiters
        streamWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
        if let current, current.isResponseQueued, !current.isResponseComplete {
            responseWritten()
        } else if current == nil, closeWhenFlushed {
            closeGracefully()
        }
    }

    /// Sends part of a file; returns false when the socket is full or the connection closed.
    private func sendFileChunk() -> Bool {
        guard var file = pendingFile else { return true }
        defer { if !isClosed { pendingFile = file.remaining > 0 ? file : nil } }
        if file.remaining == 0 {
            file.close()
            return true
        }
        if transport.canSendFile {
            let sent = falaj_sendfile(fd, file.descriptor, &file.offset, min(file.remaining, 1 << 20))
            if sent > 0 {
                file.remaining -= sent
                lastActivity = .now
                if file.remaining == 0 { file.close() }
                return true
            }
            let code = falaj_errno()
            if sent < 0, ErrnoAction(errno: code) == .wait {
                blockWrites()
                return false
            }
            if sent < 0, ErrnoAction(errno: code) == .retry { return true }
            file.close()
            close()
            return false
        }
        var chunk = [UInt8](repeating: 0, count: min(file.remaining, 64 * 1024))
        let count = chunk.withUnsafeMutableBytes { pread(file.descriptor, $0.baseAddress, $0.count, off_t(file.offset)) }
        guard count > 0 else {
            file.close()
            close()
            return false
        }
        chunk.removeLast(chunk.count - count)
        file.offset += Int64(count)
        file.remaining -= count
        if file.remaining == 0 { file.close() }
        enqueue(chunk)
        return true
    }

    private func blockWrites() {
        if !isWriteBlocked {
            isWriteBlocked = true
            updateInterest()
        }
    }

    /// The whole response is on the wire.
    private func responseWritten() {
        guard let current else { return }
        current.isResponseComplete = true
        if closeWhenFlushed {
            close()
            return
        }
        if current.isBodyComplete {
            finishExchange()
        } else {
            // The handler answered without reading the whole body: read and drop the rest, then continue.
            current.isDiscardingBody = true
            current.bodyStream?.fail(ConnectionClosedError())
            isReadPaused = false
            processInput()
        }
    }

    /// Request and response are both complete: move on to the next request.
    func finishExchange() {
        current = nil
        lastActivity = .now
        if server.isDraining.load(ordering: .relaxed) {
            close()
            return
        }
        processInput()
    }
}
