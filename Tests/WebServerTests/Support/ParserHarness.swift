import HTTPTypes

@testable import WebServer

/// One thing the parser produced, with consecutive body events merged so that outcomes do not
/// depend on how the input was split.
enum ParseStep: Equatable, CustomStringConvertible {
    case head(HeadSummary)
    case body([UInt8])
    case end
    case error(HTTPParseError.Code)

    var description: String {
        switch self {
        case .head(let head): "head(\(head))"
        case .body(let bytes): "body(\(bytes.count) bytes)"
        case .end: "end"
        case .error(let code): "error(\(code))"
        }
    }
}

/// The parts of an ``HTTPRequestHead`` the tests compare.
struct HeadSummary: Equatable, CustomStringConvertible {
    var method: String
    var target: String
    var rawPath: String
    var rawQuery: String?
    var authority: String?
    var minorVersion: Int
    var fields: [String]
    var framing: HTTPBodyFraming
    var keepAlive: Bool
    var expectsContinue: Bool

    init(_ head: HTTPRequestHead) {
        method = head.method.rawValue
        target = head.target
        rawPath = head.rawPath
        rawQuery = head.rawQuery
        authority = head.authority
        minorVersion = head.minorVersion
        fields = head.headerFields.map { "\($0.name.rawName): \($0.value)" }
        framing = head.framing
        keepAlive = head.keepAlive
        expectsContinue = head.expectsContinue
    }

    var description: String { "\(method) \(target) 1.\(minorVersion)" }
}

/// Everything a parser run produced.
struct ParseOutcome {
    var steps: [ParseStep] = []
    /// The most bytes the parser held while asking for more input (the buffering bound).
    var maxBufferedWhileWaiting = 0
    /// The parser kept producing events far beyond what the input could hold (a loop).
    var isRunaway = false

    var heads: [HeadSummary] { steps.compactMap { if case .head(let head) = $0 { head } else { nil } } }
    var error: HTTPParseError.Code? { steps.last.flatMap { if case .error(let code) = $0 { code } else { nil } } }
    /// The body of the request at `index`, concatenated.
    func body(ofRequest index: Int) -> [UInt8] {
        var request = -1
        var bytes: [UInt8] = []
        for step in steps {
            switch step {
            case .head: request += 1
            case .body(let chunk) where request == index: bytes += chunk
            default: break
            }
        }
        return bytes
    }
    var bodyText: String { String(decoding: body(ofRequest: 0), as: UTF8.self) }
}

/// Feeds `input` to a fresh parser in slices of `sliceSize` bytes (nil: all at once), pulling every
/// event after each slice, until the input runs out or the parser throws.
func runParser(_ input: [UInt8], limits: HTTPServerLimits = TestServer.smallLimits, sliceSize: Int? = nil) -> ParseOutcome {
    runParser(input, limits: limits, sliceSizes: [max(1, sliceSize ?? input.count)])
}

/// Feeds `input` in slices whose sizes cycle through `sliceSizes`.
func runParser(_ input: [UInt8], limits: HTTPServerLimits, sliceSizes: [Int]) -> ParseOutcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = ParseOutcome()
    var offset = 0
    var sliceIndex = 0
    var eventBudget = 4 * input.count + 16
    repeat {
        let step = max(1, sliceSizes[sliceIndex % sliceSizes.count])
        sliceIndex += 1
        let end = min(input.count, offset + step)
        input[offset..<end].withUnsafeBytes { parser.feed($0) }
        offset = end
        do {
            while let event = try parser.next() {
                eventBudget -= 1
                if eventBudget < 0 {
                    outcome.isRunaway = true
                    return outcome
                }
                switch event {
                case .head(let box): outcome.steps.append(.head(HeadSummary(box.head)))
                case .body(let chunk):
                    if case .body(let previous) = outcome.steps.last {
                        outcome.steps[outcome.steps.count - 1] = .body(previous + chunk)
                    } else {
                        outcome.steps.append(.body(chunk))
                    }
                case .end: outcome.steps.append(.end)
                }
            }
            outcome.maxBufferedWhileWaiting = max(outcome.maxBufferedWhileWaiting, parser.bufferedByteCount)
        } catch {
            outcome.steps.append(.error(error.code))
            return outcome
        }
    } while offset < input.count
    return outcome
}

func runParser(_ text: String, limits: HTTPServerLimits = TestServer.smallLimits, sliceSize: Int? = nil) -> ParseOutcome {
    runParser(Array(text.utf8), limits: limits, sliceSize: sliceSize)
}
