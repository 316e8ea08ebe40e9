import Foundation

/// Online reads: a group of 10 float features, `onlineEntities` entities pushed through the API, then reads of all 10
/// features for one random pushed entity per request, with every entity's row in the cache (warmed just before each
/// timed run: the cache keeps an entry at most 60 s).
struct OnlineReadPhase {
    let api: BenchAPI
    let port: Int
    let options: FeatureBenchmark.Options

    /// The value pushed for feature `feature` (1–10) of entity `entity`: a quarter, so its JSON text is exact.
    static func quarters(entity: Int, feature: Int) -> Int { (entity &* 7_919 &+ feature &* 104_729) % 100_000 }
    static func value(entity: Int, feature: Int) -> Double { Double(quarters(entity: entity, feature: feature)) / 4 }
    static func valueText(entity: Int, feature: Int) -> String {
        let q = quarters(entity: entity, feature: feature)
        return "\(q / 4)." + ["00", "25", "50", "75"][q % 4]
    }

    /// The read's body for one entity (what `bench/features-online.lua` sends too).
    static func body(entity: Int) -> String {
        #"{"project":"\#(FeatureBenchmark.project)","entity_rows":[{"customer_id":"c\#(entity)"}],"features":["#
            + FeatureBenchmark.onlineFeatures.map { "\"\(FeatureBenchmark.onlineGroup):\($0)\"" }.joined(separator: ",") + "]}"
    }

    /// The parts of an online answer the checks read.
    struct Answer: Decodable {
        struct Value: Decodable {
            var value: Double?
            var status: String
        }

        struct Result: Decodable {
            var found: Bool
            var values: [String: Value]
        }

        var results: [Result]
    }

    func run() async throws -> BenchPhaseReport {
        var report = BenchPhaseReport()
        let group = FeatureBenchmark.onlineGroup
        let features = FeatureBenchmark.onlineFeatures.map { #"{"name":"\#($0)","type":"float"}"# }.joined(separator: ",")
        let created = try await api.post(
            "/api/v1/projects/\(FeatureBenchmark.project)/feature-groups",
            json: #"{"name":"\#(group)","entity":"customer","description":"online reads","features":[\#(features)]}"#
        )
        struct Created: Decodable { var id: String }
        let groupID = try BenchAPI.decode(Created.self, from: created).id

        // Pushes of at most 10,000 rows, the largest one timed.
        var pushRate = 0.0
        for start in stride(from: 0, to: options.onlineEntities, by: 10_000) {
            let end = min(options.onlineEntities, start + 10_000)
            let rows = (start..<end).map { entity in
                #"{"customer_id":"c\#(entity)","event_time":"2026-06-01T00:00:00Z","#
                    + (1...10).map { #""f\#($0)":\#(Self.valueText(entity: entity, feature: $0))"# }.joined(separator: ",") + "}"
            }
            let began = ContinuousClock.now
            try await api.post("/api/v1/feature-groups/\(groupID)/push", json: #"{"rows":["# + rows.joined(separator: ",") + "]}", expect: 200)
            pushRate = max(pushRate, Double(end - start) / ((ContinuousClock.now - began).milliseconds / 1000))
        }
        report.table.append(("push, \(min(options.onlineEntities, 10_000)) rows × 10 features in one request (offline + online store)", String(format: "%.0f rows/s", pushRate)))

        try await warm()
        let sequential = try await sequentialReads()
        report.table += [
            ("online read p50, 1 connection (keep-alive, one at a time; 10 features of 1 random entity of \(options.onlineEntities), cache warm, \(sequential.latencies.count) reads)", String(format: "%.3f ms", percentile(sequential.latencies, 0.5))),
            ("online read p99, 1 connection", String(format: "%.3f ms", percentile(sequential.latencies, 0.99))),
            ("online read p99.9, 1 connection", String(format: "%.3f ms", percentile(sequential.latencies, 0.999))),
            ("online reads/s, 1 connection", String(format: "%.0f reads/s", Double(sequential.latencies.count) / sequential.seconds)),
            ("CPU per online read, 1 connection: bench process (server and client)", String(format: "%.3f ms", sequential.cpu.process / Double(sequential.latencies.count))),
            ("CPU per online read, 1 connection: its Postgres", String(format: "%.3f ms", sequential.cpu.postgres / Double(sequential.latencies.count))),
        ]
        report.checks.append(
            "\(sequential.latencies.count + 200) sequential reads answered 200 with found=true; \(sequential.verified) of them decoded and all 10 values "
                + "compared with what was pushed; \(sequential.reconnects) reconnections."
        )

        guard let wrk = options.wrk else {
            report.checks.append("wrk not found: no concurrent online figures.")
            return report
        }
        let run = WrkOnlineRun(wrk: wrk, script: options.wrkScript, seconds: options.wrkSeconds, key: api.key)
        for connections in [1, options.connections] {
            try await warm()
            let outcome = try await run.run(url: api.base + "/api/v1/features/online", connections: connections, entities: options.onlineEntities)
            guard outcome.errors == 0, outcome.socketErrors == 0, outcome.found == outcome.responses, outcome.responses > 0 else {
                throw BootstrapError(message: "wrk online reads with \(connections) connections: \(outcome)")
            }
            let rate = Double(outcome.responses) / outcome.seconds
            report.table += [
                ("online reads/s, \(connections) connection\(connections == 1 ? "" : "s") (wrk, \(options.wrkSeconds) s)", String(format: "%.0f reads/s", rate)),
                ("online read p50, \(connections) connection\(connections == 1 ? "" : "s") (wrk)", String(format: "%.3f ms", outcome.p50Milliseconds)),
                ("online read p99, \(connections) connection\(connections == 1 ? "" : "s") (wrk)", String(format: "%.3f ms", outcome.p99Milliseconds)),
                ("CPU per online read, \(connections) connection\(connections == 1 ? "" : "s") (wrk): server", String(format: "%.3f ms", outcome.cpu.process / Double(outcome.responses))),
                ("CPU per online read, \(connections) connection\(connections == 1 ? "" : "s") (wrk): its Postgres", String(format: "%.3f ms", outcome.cpu.postgres / Double(outcome.responses))),
            ]
            report.checks.append("wrk, \(connections) connection(s): \(outcome.responses) reads, every one 200 with found=true, no socket errors.")
        }
        return report
    }

    /// Reads every pushed entity once, 1,000 per request, so each one's row is in the cache.
    private func warm() async throws {
        let features = FeatureBenchmark.onlineFeatures.map { "\"\(FeatureBenchmark.onlineGroup):\($0)\"" }.joined(separator: ",")
        for start in stride(from: 0, to: options.onlineEntities, by: 1_000) {
            let rows = (start..<min(options.onlineEntities, start + 1_000)).map { #"{"customer_id":"c\#($0)"}"# }.joined(separator: ",")
            let body = try await api.post(
                "/api/v1/features/online", json: #"{"project":"\#(FeatureBenchmark.project)","entity_rows":[\#(rows)],"features":[\#(features)]}"#, expect: 200
            )
            let answer = try BenchAPI.decode(Answer.self, from: body)
            guard answer.results.allSatisfy(\.found) else { throw BootstrapError(message: "warming the cache: an entity of \(start)… was not found") }
        }
    }

    /// What the sequential run measured.
    struct Sequential: Sendable {
        var latencies: [Double]
        var seconds: Double
        var cpu: BenchCPU
        var verified: Int
        var reconnects: Int
    }

    /// `sequentialReads` reads one after another on one keep-alive connection (after 200 untimed ones), each timed
    /// from just before its request is written until its whole answer is read, on a thread of its own. Every answer
    /// must be 200 with `"found":true`; every 100th is decoded and its values compared with the pushed ones.
    private func sequentialReads() async throws -> Sequential {
        let (port, key, count, entities) = (port, api.key, options.sequentialReads, options.onlineEntities)
        return try await BenchProcess.onOwnThread {
            let connection = try KeepAliveConnection(port: port)
            var random = SplitMix64(seed: 0xFEA7_0001)
            var latencies: [Double] = []
            latencies.reserveCapacity(count)
            var verified = 0
            var cpu = BenchCPU(process: 0, postgres: 0)
            var began = ContinuousClock.now
            for index in -200..<count {
                if index == 0 {
                    cpu = BenchCPU.now()
                    began = ContinuousClock.now
                }
                let entity = random.below(entities)
                let request = KeepAliveConnection.post(
                    "/api/v1/features/online", port: port, bearer: key, body: Array(Self.body(entity: entity).utf8)
                )
                let start = ContinuousClock.now
                let (status, body) = try connection.exchange(request)
                let elapsed = (ContinuousClock.now - start).milliseconds
                guard status == 200, Self.contains(body, #""found":true"#) else {
                    throw BootstrapError(message: "online read of c\(entity) answered \(status): \(String(decoding: body.prefix(2_000), as: UTF8.self))")
                }
                if index >= 0 { latencies.append(elapsed) }
                if index % 100 == 0 {
                    try Self.verify(body, entity: entity)
                    verified += 1
                }
            }
            let seconds = (ContinuousClock.now - began).milliseconds / 1000
            cpu = BenchCPU.now() - cpu
            return Sequential(latencies: latencies.sorted(), seconds: seconds, cpu: cpu, verified: verified, reconnects: connection.reconnects)
        }
    }

    /// Checks that an answer holds all 10 pushed values of `entity`, present.
    static func verify(_ body: [UInt8], entity: Int) throws {
        let answer = try BenchAPI.decode(Answer.self, from: body)
        guard answer.results.count == 1, let result = answer.results.first, result.found else {
            throw BootstrapError(message: "online read of c\(entity): no result")
        }
        for feature in 1...10 {
            let value = result.values["\(FeatureBenchmark.onlineGroup):f\(feature)"]
            guard value?.status == "present", value?.value == Self.value(entity: entity, feature: feature) else {
                throw BootstrapError(message: "online read of c\(entity), f\(feature): \(String(describing: value)), pushed \(Self.value(entity: entity, feature: feature))")
            }
        }
    }

    /// True when `haystack` contains the bytes of `needle`.
    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let needle = Array(needle.utf8)
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}

/// The concurrent online reads: wrk with `bench/features-online.lua`, one thread, N keep-alive connections, each
/// request the body of ``OnlineReadPhase/body(entity:)`` for a random entity.
struct WrkOnlineRun {
    let wrk: String
    let script: String
    let seconds: Int
    /// The API key (handed to the script in a private file, never on the command line).
    let key: String

    struct Outcome: CustomStringConvertible {
        var responses: Int, errors: Int, found: Int, socketErrors: Int
        var p50Milliseconds: Double, p99Milliseconds: Double
        var seconds: Double
        var cpu: BenchCPU

        var description: String {
            "\(responses) responses, \(errors) not 200, \(found) with found=true, \(socketErrors) socket errors, p50 \(p50Milliseconds) ms, p99 \(p99Milliseconds) ms"
        }
    }

    func run(url: String, connections: Int, entities: Int) async throws -> Outcome {
        let cpuBefore = BenchCPU.now()
        let features = FeatureBenchmark.onlineFeatures.map { "\(FeatureBenchmark.onlineGroup):\($0)" }.joined(separator: ",")
        let fields = try await BenchProcess.wrkTotals(wrk, key: key, prefix: "online") { [script, seconds] keyFile in
            ["-t", "1", "-c", String(connections), "-d", "\(seconds)s", "--timeout", "5s", "-s", script, url, "--", keyFile, FeatureBenchmark.project, String(entities), features]
        }
        let cpu = BenchCPU.now() - cpuBefore
        guard let responses = fields["responses"], let errors = fields["errors"], let found = fields["found"], let socket = fields["socket_errors"],
            let p50 = fields["p50_us"], let p99 = fields["p99_us"], let duration = fields["duration_us"]
        else { throw BootstrapError(message: "unexpected wrk totals: \(fields)") }
        return Outcome(
            responses: Int(responses), errors: Int(errors), found: Int(found), socketErrors: Int(socket), p50Milliseconds: p50 / 1000, p99Milliseconds: p99 / 1000,
            seconds: duration / 1e6, cpu: cpu
        )
    }
}
