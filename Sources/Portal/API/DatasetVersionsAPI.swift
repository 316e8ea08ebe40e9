import Foundation
import HTTPTypes
import Platform
import Tabular
import Tenancy
import WebServer

/// `/api/v1/projects/:project/datasets/:dataset/versions`: uploads (streamed CSV or JSON lines), a version's
/// statistics, preview and rejected rows, and its rows as CSV.
enum DatasetVersionsAPI {
    /// The largest upload accepted (streamed, never held in memory): 10 GiB.
    static let maximumUploadSize = 10 << 30

    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        routes.add(
            .post, "/api/v1/projects/:project/datasets/:dataset/versions", access: .permission(.dataWrite),
            documentation: APIDocumentation(
                summary: "Uploads the body (CSV with a header row, or JSON lines) as the dataset's next version, streamed. "
                    + "`?format=csv|jsonl` (default from Content-Type, else csv), `?on_error=reject|skip` (default reject: one bad row "
                    + "refuses the file, 422 with rejected_rows), `?columns=name:type,…` (types for some columns; the rest are "
                    + "inferred from the first 1,000 rows), `?filename=` (kept as the source name)",
                requestSchema: ["type": "string", "format": "binary"], responseSchema: DatasetVersionDetailJSON.schema, successStatus: 201
            ),
            maxBodySize: maximumUploadSize
        ) { request in
            let settings = try uploadSettings(request)
            let detail = try await environment.requirePlatform().datasets.upload(
                request.body, to: try request.segment("dataset"), project: try request.segment("project"), settings: settings,
                sourceName: request.query("filename") ?? "", context: try request.requireContext()
            )
            return try APIResponse.json(DatasetVersionDetailJSON(detail), status: .created, isConvertingKeysToSnakeCase: true)
        }

        routes.get(
            "/api/v1/projects/:project/datasets/:dataset/versions/:version", access: .permission(.dataRead),
            documentation: APIDocumentation(
                summary: "One version: schema, counts, statistics per column, the first rows and the first rejected rows",
                responseSchema: DatasetVersionDetailJSON.schema
            )
        ) { request in
            let detail = try await environment.requirePlatform().datasets.version(
                try versionNumber(request), of: try request.segment("dataset"), project: try request.segment("project"),
                context: try request.requireContext()
            )
            return try APIResponse.json(DatasetVersionDetailJSON(detail), isConvertingKeysToSnakeCase: true)
        }

        routes.get(
            "/api/v1/projects/:project/datasets/:dataset/versions/:version/content", access: .permission(.dataRead),
            documentation: APIDocumentation(
                summary: "The version's rows as CSV (text/csv, streamed; the header first, values in canonical form); audited as a download",
                responseSchema: Schema.string("CSV")
            )
        ) { request in
            try await content(request, platform: try environment.requirePlatform())
        }
    }

    /// The upload's settings from its query and Content-Type.
    static func uploadSettings(_ request: Request) throws -> IngestionSettings {
        var errors: [String: String] = [:]
        let contentType = (request.headerFields[.contentType] ?? "").split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        let formatText = request.query("format").flatMap { $0.isEmpty ? nil : $0.lowercased() }
            ?? (["application/x-ndjson", "application/jsonl", "application/jsonlines"].contains(contentType ?? "") ? "jsonl" : "csv")
        let format = TableFormat(rawValue: formatText)
        if format == nil { errors["format"] = "Use format=csv or format=jsonl" }
        let policyText = request.query("on_error").flatMap { $0.isEmpty ? nil : $0.lowercased() } ?? "reject"
        let policy = RowErrorPolicy(rawValue: policyText)
        if policy == nil { errors["on_error"] = "Use on_error=reject (refuse the file when a row is bad) or on_error=skip (leave bad rows out)" }
        var overrides: SchemaOverrides?
        if let columns = request.query("columns"), !columns.trimmingCharacters(in: .whitespaces).isEmpty {
            do {
                overrides = try SchemaOverrides(parsing: columns)
            } catch {
                errors["columns"] = error.message
            }
        }
        guard errors.isEmpty, let format, let policy else { throw PlatformError.invalidFields(errors) }
        return IngestionSettings(format: format, overrides: overrides, onError: policy)
    }

    /// `:version` as a positive number; anything else is answered like an unknown version.
    static func versionNumber(_ request: Request) throws -> Int {
        guard let text = request.parameters["version"], let number = Int(text), number >= 1 else { throw PlatformError.notFound("No such version") }
        return number
    }

    /// Streams the version's CSV; an unknown version is a 404 before anything is sent.
    static func content(_ request: Request, platform: PlatformServices) async throws -> Response {
        let (project, dataset, number) = (try request.segment("project"), try request.segment("dataset"), try versionNumber(request))
        let context = try request.requireContext()
        let version = try await platform.datasets.version(number, of: dataset, project: project, context: context).version
        let fileName = "\(dataset)-v\(number).csv"
        return Response(
            headerFields: [
                .contentType: "text/csv; charset=utf-8", .contentLength: String(version.sizeBytes), .cacheControl: "no-store",
                HTTPField.Name("Content-Disposition")!: "attachment; filename=\"\(fileName)\"",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ],
            body: .stream { writer in
                _ = try await platform.datasets.download(number, of: dataset, project: project, context: context) { bytes in try await writer.write(bytes) }
            }
        )
    }
}
