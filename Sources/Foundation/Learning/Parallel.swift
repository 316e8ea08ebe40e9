import Dispatch
import Foundation

/// Splits work over the machine's cores. Every trainer call blocks its thread until the work is done: call trainers
/// from a dedicated thread (the agent's `builtin` executor does), never from Swift's cooperative pool.
enum Parallel {
    /// How many parts to split into: one per core, at most 8.
    static let parts = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))

    /// Runs `body(part, range)` for `parts` contiguous ranges covering `0..<count` at the same time and returns the
    /// results in range order. Small inputs (under `minimumPerPart` per part) run in one part on this thread.
    static func map<Result>(count: Int, minimumPerPart: Int = 4_096, _ body: (Range<Int>) -> Result) -> [Result] {
        let partCount = max(1, min(parts, count / max(1, minimumPerPart)))
        if partCount == 1 { return [body(0..<count)] }
        let ranges = (0..<partCount).map { part in (count * part / partCount)..<(count * (part + 1) / partCount) }
        var results = [Result?](repeating: nil, count: partCount)
        results.withUnsafeMutableBufferPointer { buffer in
            let slots = SendableBuffer(buffer)
            withoutActuallyEscaping(body) { body in
                let work = UnsafeSendableClosure(body)
                DispatchQueue.concurrentPerform(iterations: partCount) { part in
                    slots.buffer[part] = work.body(ranges[part])
                }
            }
        }
        return results.map { $0! }
    }
}

/// Lets `concurrentPerform` call a non-`Sendable` closure: the callers pass closures that only read shared input.
private struct UnsafeSendableClosure<Argument, Result>: @unchecked Sendable {
    let body: (Argument) -> Result
    init(_ body: @escaping (Argument) -> Result) { self.body = body }
}
