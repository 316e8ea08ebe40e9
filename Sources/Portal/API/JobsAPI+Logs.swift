import ComputeAgents
import Foundation
import HTTPTypes
import Tenancy
import WebServer

/// A job's log as one plain-text body, or as server-sent events that follow it live (the API and the job page share
/// this).
///
/// The live stream polls ``JobQueue/logs(_:after:limit:context:)`` every ``pollInterval``; each chunk becomes one
/// `message` event whose data is a JSON string of the text (so carriage returns and blank lines survive the SSE
/// framing) and whose id is `attempt.rank.seq`, so a reconnecting `EventSource` resumes after the last chunk it got
/// (`Last-Event-ID`). When the job is final and every chunk has been sent, an `end` event carries the state.
enum JobLogStream {
    /// How often the live stream looks for new chunks.
    static let pollInterval = Duration.milliseconds(500)
    /// How often the live stream checks whether the job has ended, in polls without new output.
    static let stateCheckEvery = 4
    /// How often an idle stream sends a comment, so proxies keep it open and a departed client is noticed.
    static let keepAliveEvery = 30
    /// Chunks read per query.
    static let batchSize = 200

    typealias Position = (attempt: Int, nodeRank: Int, seq: Int)

    /// `text/event-stream` when the client asks for it in `Accept`, plain text otherwise. The job is looked up first,
    /// so an unknown id is a 404 before anything is streamed.
    static func response(_ request: Request, job id: UUID, jobs: JobQueue, context: RequestContext) async throws -> Response {
        let accept = request.headerFields[.accept] ?? ""
        if accept.contains("text/event-stream") {
            // A reconnecting EventSource sends Last-Event-ID; the job page starts after the log it rendered (`?after=`).
            let start = (request.headerFields[HTTPField.Name("Last-Event-ID")!] ?? request.query("after")).flatMap(position(from:))
            let state = try await jobs.detail(id, context: context).summary.state
            return live(id, jobs: jobs, context: context, after: start, isInitiallyFinal: state.isFinal)
        }
        let first = try await jobs.logs(id, after: nil, limit: batchSize, context: context)
        if first.isEmpty { _ = try await jobs.detail(id, context: context) }  // no chunks yet, or no such job: 404
        var response = Response(
            headerFields: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: .stream { writer in
                var batch = first
                while !batch.isEmpty {
                    for chunk in batch { try await writer.write(chunk.data) }
                    guard batch.count == batchSize, let last = batch.last else { break }
                    batch = try await jobs.logs(id, after: (last.attempt, last.nodeRank, last.seq), limit: batchSize, context: context)
                }
            }
        )
        response.headerFields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return response
    }

    /// The whole log as text (the job page renders it before the live stream takes over), at most `limit` bytes from
    /// the end.
    static func text(_ id: UUID, jobs: JobQueue, context: RequestContext, limit: Int = 1 << 20) async throws -> (text: String, last: String?) {
        var bytes: [UInt8] = []
        var after: Position?
        while true {
            let batch = try await jobs.logs(id, after: after, limit: batchSize, context: context)
            for chunk in batch { bytes += chunk.data }
            if bytes.count > limit * 2 { bytes.removeFirst(bytes.count - limit) }
            guard let last = batch.last else { break }
            after = (last.attempt, last.nodeRank, last.seq)
            if batch.count < batchSize { break }
        }
        if bytes.count > limit { bytes.removeFirst(bytes.count - limit) }
        return (String(decoding: bytes, as: UTF8.self), after.map(eventID))
    }

    private static func live(_ id: UUID, jobs: JobQueue, context: RequestContext, after start: Position?, isInitiallyFinal: Bool) -> Response {
        var response = Response.eventStream { events in
            var after = start
            var pending: [UInt8] = []  // an incomplete UTF-8 sequence at the end of the last chunk
            var isFinal = isInitiallyFinal
            var idlePolls = 0
            try await events.sendComment("job \(id.uuidString.lowercased())")
            while true {
                let batch = try await jobs.logs(id, after: after, limit: batchSize, context: context)
                for chunk in batch {
                    let (text, rest) = decodeUTF8(pending + chunk.data)
                    pending = rest
                    after = (chunk.attempt, chunk.nodeRank, chunk.seq)
                    try await events.send(data: JSONText.quoted(text), id: eventID(after!))
                }
                if batch.count == batchSize { continue }
                if isFinal {
                    let state = try await jobs.detail(id, context: context).summary.state
                    try await events.send(data: JSONText.quoted(state.rawValue), event: "end")
                    return
                }
                idlePolls = batch.isEmpty ? idlePolls + 1 : 0
                if idlePolls > 0 && idlePolls % keepAliveEvery == 0 { try await events.sendComment("waiting") }
                if batch.isEmpty && idlePolls % stateCheckEvery == 0 {
                    // Seen final: one more read collects chunks that arrived just before the end, then `end`.
                    isFinal = try await jobs.detail(id, context: context).summary.state.isFinal
                    if isFinal { continue }
                }
                try await Task.sleep(for: pollInterval)
            }
        }
        response.headerFields[HTTPField.Name("X-Accel-Buffering")!] = "no"
        return response
    }

    /// `attempt.rank.seq`.
    static func eventID(_ position: Position) -> String { "\(position.attempt).\(position.nodeRank).\(position.seq)" }

    /// Parses an event id written by ``eventID(_:)``.
    static func position(from text: String) -> Position? {
        let parts = text.split(separator: ".").compactMap { Int($0) }
        guard parts.count == 3, parts.allSatisfy({ $0 >= 0 }) else { return nil }
        return (parts[0], parts[1], parts[2])
    }

    /// The text of `bytes` up to the last complete UTF-8 sequence, and the bytes of an incomplete one at the end.
    static func decodeUTF8(_ bytes: [UInt8]) -> (text: String, rest: [UInt8]) {
        guard !bytes.isEmpty else { return ("", []) }
        var cut = bytes.count
        // Look back at most 3 bytes for the lead byte of a sequence that runs past the end.
        for back in 1...min(3, bytes.count) {
            let byte = bytes[bytes.count - back]
            if byte & 0b1100_0000 == 0b1000_0000 { continue }  // continuation byte
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            if length > back { cut = bytes.count - back }
            break
        }
        return (String(decoding: bytes[..<cut], as: UTF8.self), Array(bytes[cut...]))
    }

}
