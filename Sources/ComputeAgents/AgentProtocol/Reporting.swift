public import Foundation

/// The answer to a log chunk.
public struct LogChunkAcknowledgement: Codable, Sendable {
    /// The sequence number acknowledged.
    public var seq: Int
    /// False when the chunk had been received before (a retry).
    public var isNew: Bool

    /// Creates an acknowledgement.
    public init(seq: Int, isNew: Bool) {
        self.seq = seq
        self.isNew = isNew
    }
}

/// `POST …/events`: status, progress and metric events of a running attempt.
public struct JobEventBatch: Codable, Sendable {
    /// The events, oldest first.
    public var events: [JobEventReport]

    /// Creates a batch.
    public init(events: [JobEventReport]) { self.events = events }
}

/// One event of a running attempt.
public struct JobEventReport: Codable, Sendable, Equatable {
    /// The event kinds.
    public enum Kind: String, Codable, Sendable {
        /// The attempt's process started (moves the job from leased to running).
        case started
        /// A human-readable status line.
        case status
        /// Progress between 0 and 1 in ``value``.
        case progress
        /// A metric: ``name``, ``step``, ``value``.
        case metric
    }

    /// What happened.
    public var kind: Kind
    /// The metric name.
    public var name: String?
    /// The metric step.
    public var step: Int?
    /// The metric value or the progress fraction.
    public var value: Double?
    /// The status line.
    public var message: String?
    /// When it happened on the node.
    public var time: Date

    /// Creates an event.
    public init(kind: Kind, name: String? = nil, step: Int? = nil, value: Double? = nil, message: String? = nil, time: Date = Date()) {
        self.kind = kind
        self.name = name
        self.step = step
        self.value = value
        self.message = message
        self.time = time
    }
}

/// An artifact the server stored.
public struct ArtifactReceipt: Codable, Sendable, Equatable {
    /// The relative path inside the job's output folder.
    public var path: String
    /// Its size in bytes.
    public var sizeBytes: Int64
    /// Its SHA-256, lowercase hex, as verified by the server.
    public var sha256: String

    /// Creates a receipt.
    public init(path: String, sizeBytes: Int64, sha256: String) {
        self.path = path
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
    }
}

/// `POST …/result`: how an attempt ended.
public struct JobResultReport: Codable, Sendable, Equatable {
    /// The outcomes.
    public enum Outcome: String, Codable, Sendable {
        /// Exit status 0.
        case succeeded
        /// Non-zero exit, a signal, a timeout or an executor error.
        case failed
        /// Stopped because the server asked.
        case cancelled
    }

    /// How it ended.
    public var outcome: Outcome
    /// The exit status, when the process exited.
    public var exitCode: Int?
    /// A one-line reason ("timed out after 60 s", "killed by signal 9").
    public var message: String?
    /// CPU seconds used by the process tree.
    public var cpuSeconds: Double
    /// Peak resident memory of the process tree, in bytes.
    public var peakMemoryBytes: Int64
    /// Wall-clock seconds.
    public var wallSeconds: Double

    /// Creates a result.
    public init(outcome: Outcome, exitCode: Int? = nil, message: String? = nil, cpuSeconds: Double = 0, peakMemoryBytes: Int64 = 0, wallSeconds: Double = 0) {
        self.outcome = outcome
        self.exitCode = exitCode
        self.message = message
        self.cpuSeconds = cpuSeconds
        self.peakMemoryBytes = peakMemoryBytes
        self.wallSeconds = wallSeconds
    }
}

/// The answer to a result report.
public struct JobResultAcknowledgement: Codable, Sendable {
    /// The job's state after the report (`succeeded`, `failed`, `cancelled`, or `queued` when a failed attempt is retried).
    public var state: String
    /// False when the same result had been recorded before (a retry).
    public var isNew: Bool

    /// Creates an acknowledgement.
    public init(state: String, isNew: Bool) {
        self.state = state
        self.isNew = isNew
    }
}

/// The error body of every agent API failure (RFC 9457 subset).
public struct AgentProblem: Codable, Sendable, Error {
    /// The HTTP status.
    public var status: Int
    /// A short title.
    public var title: String
    /// What went wrong, for the node's log.
    public var detail: String?

    /// Creates a problem.
    public init(status: Int, title: String, detail: String? = nil) {
        self.status = status
        self.title = title
        self.detail = detail
    }
}

extension AgentProtocol {
    /// The JSON encoder both sides use (ISO 8601 dates, sorted keys).
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// The JSON decoder both sides use (ISO 8601 dates).
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
