import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// The audit log page (filter by actor, action and time) and its JSON-lines / CSV export.
enum AuditPages {
    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.get("/app/audit", access: .permission(.auditRead)) { request in
            let context = try request.requireContext()
            let (filter, values, errors) = AuditQuery.filter(from: request, limit: 100)
            let events = errors.isEmpty ? try await pages.tenancy.audit.events(context, filter) : []
            var query = AuditQuery.passThrough(request)
            let rows: [[String: Any]] = events.map(AuditQuery.row)
            if events.count == filter.limit, let last = events.last { query.append(("before", String(last.sequence))) }
            let olderLink: Any = events.count == filter.limit ? "/app/audit?" + AuditQuery.encode(query) : false
            return await pages.render(
                "audit", request, title: "Audit log",
                [
                    "events": rows, "hasEvents": !rows.isEmpty, "values": values, "errors": errors, "olderLink": olderLink,
                    "exportQuery": AuditQuery.encode(AuditQuery.passThrough(request)),
                ],
                status: errors.isEmpty ? .ok : .unprocessableContent
            )
        }

        routes.get("/app/audit/export", access: .permission(.auditRead)) { request in
            let context = try request.requireContext()
            let (filter, _, errors) = AuditQuery.filter(from: request, limit: 1_000)
            guard errors.isEmpty else { throw HTTPError(.unprocessableContent, errors.values.sorted().joined(separator: " ")) }
            let isCSV = request.query("format") == "csv"
            let audit = pages.tenancy.audit
            let stamp = ISO8601DateFormatter().string(from: Date()).prefix(10)
            return Response(
                headerFields: [
                    .contentType: isCSV ? "text/csv; charset=utf-8" : "application/x-ndjson",
                    .contentDisposition: "attachment; filename=\"audit-\(context.tenant.slug)-\(stamp).\(isCSV ? "csv" : "jsonl")\"",
                    .cacheControl: "no-store",
                ],
                body: .stream { writer in
                    if isCSV { try await writer.write(AuditExportFormat.csvHeader) }
                    try await audit.export(context, filter, format: isCSV ? "csv" : "jsonl") { events in
                        try await writer.write(events.map { isCSV ? AuditExportFormat.csvLine($0) : AuditExportFormat.jsonLine($0) }.joined())
                    }
                }
            )
        }
    }
}

/// Reading the filter form from the query string, and shaping rows for the template.
enum AuditQuery {
    static let names = ["actor", "action", "since", "until"]

    static func filter(from request: Request, limit: Int) -> (AuditFilter, [String: String], [String: String]) {
        var values: [String: String] = [:]
        for name in names { values[name] = request.query(name)?.trimmingCharacters(in: .whitespaces) ?? "" }
        var errors: [String: String] = [:]
        let day = DateFormatter()
        day.dateFormat = "yyyy-MM-dd"
        day.timeZone = TimeZone(identifier: "UTC")
        day.locale = Locale(identifier: "en_US_POSIX")
        func date(_ name: String) -> Date? {
            guard let text = values[name], !text.isEmpty else { return nil }
            guard let date = day.date(from: text) else {
                errors[name] = "Enter a date as YYYY-MM-DD"
                return nil
            }
            return date
        }
        let since = date("since")
        let until = date("until").map { $0.addingTimeInterval(86_400) }  // the whole "until" day
        let actor = values["actor"].flatMap { $0.isEmpty ? nil : String($0.prefix(100)) }
        let action = values["action"].flatMap { $0.isEmpty ? nil : String($0.prefix(100)) }
        let before = request.query("before").flatMap { Int64($0) }
        return (AuditFilter(actorID: actor, actionPrefix: action, since: since, until: until, beforeSequence: before, limit: limit), values, errors)
    }

    static func passThrough(_ request: Request) -> [(String, String)] {
        names.compactMap { name in request.query(name).flatMap { $0.isEmpty ? nil : (name, $0) } }
    }

    static func encode(_ items: [(String, String)]) -> String {
        items.map { "\(PercentEncoding.encode($0.0))=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
    }

    static func row(_ event: AuditRecord) -> [String: Any] {
        [
            "sequence": String(event.sequence),
            "time": AuditExportFormat.timestamp(event.occurredAt),
            "actor": event.actor.kind + (event.actor.id.map { ":" + $0 } ?? ""),
            "action": event.action,
            "target": event.target ?? "",
            "outcome": event.outcome,
            "isFailure": event.outcome != "success",
            "sourceIP": event.sourceIP ?? "",
            "details": event.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "),
        ]
    }
}

/// The export formats: one JSON object per line, or RFC 4180 CSV.
enum AuditExportFormat {
    static let columns = ["sequence", "occurred_at", "actor_kind", "actor_id", "action", "target", "outcome", "source_ip", "request_id", "region", "details", "hash"]
    static var csvHeader: String { columns.joined(separator: ",") + "\r\n" }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func fields(_ event: AuditRecord) -> [String] {
        let details = (try? JSONEncoder.sortedKeys.encode(event.details)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return [
            String(event.sequence), timestamp(event.occurredAt), event.actor.kind, event.actor.id ?? "", event.action, event.target ?? "",
            event.outcome, event.sourceIP ?? "", event.requestID ?? "", event.region, details, event.hash,
        ]
    }

    static func csvLine(_ event: AuditRecord) -> String {
        fields(event).map { field in
            // Quote every field; neutralise spreadsheet formulas.
            let safe = field.first.map { "=+-@".contains($0) } == true ? "'" + field : field
            return "\"" + safe.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }.joined(separator: ",") + "\r\n"
    }

    static func jsonLine(_ event: AuditRecord) -> String {
        var object: [String: String] = [:]
        for (name, value) in zip(columns, fields(event)) where name != "details" { object[name] = value }
        let head = (try? JSONEncoder.sortedKeys.encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let details = (try? JSONEncoder.sortedKeys.encode(event.details)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return String(head.dropLast()) + ",\"details\":" + details + "}\n"
    }
}

extension JSONEncoder {
    /// Sorted keys, no slash escaping.
    static var sortedKeys: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
