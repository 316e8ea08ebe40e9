import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// `/api/v1/privacy/...`: data-subject requests (export, erasure), export download, records of processing.
enum PrivacyAPI {
    /// The 404 message for unknown ids and ids that are not UUIDs.
    static let notFound = "No such request"

    /// Registers the routes, each with its access rule and documentation. Exports and the request list are open to
    /// every member (the domain limits them to their own data unless they hold `members.manage`).
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        let requests = environment.tenancy.dataSubjectRequests

        routes.get(
            "/api/v1/privacy/requests", access: .permission(.tenantRead),
            documentation: APIDocumentation(
                summary: "Data-subject requests, newest first (all with members.manage, otherwise the caller's own)",
                responseSchema: ItemsJSON<DataSubjectRequestJSON>.schema(DataSubjectRequestJSON.schema)
            )
        ) { request in
            try APIResponse.json(ItemsJSON(items: try await requests.list(try request.requireContext()).map(DataSubjectRequestJSON.init)))
        }

        routes.add(
            .post, "/api/v1/privacy/exports", access: .permission(.tenantRead),
            documentation: APIDocumentation(
                summary: "Queues an export of a member's data (one's own, or anyone's with members.manage); download it when done",
                requestSchema: SubjectRequest.schema, responseSchema: DataSubjectRequestJSON.schema, successStatus: 201
            ),
            maxBodySize: APIBody.maximumSize
        ) { request in
            let body: SubjectRequest = try await request.decodeJSON()
            let created = try await requests.requestExport(try request.requireContext(), subject: body.userID)
            return try APIResponse.json(DataSubjectRequestJSON(created), status: .created)
        }

        routes.add(
            .post, "/api/v1/privacy/erasures", access: .permission(.membersManage),
            documentation: APIDocumentation(
                summary: "Queues the erasure of a member (not the last owner): personal fields replaced, sessions and keys revoked",
                requestSchema: SubjectRequest.schema, responseSchema: DataSubjectRequestJSON.schema, successStatus: 201
            ),
            maxBodySize: APIBody.maximumSize
        ) { request in
            let body: SubjectRequest = try await request.decodeJSON()
            let created = try await requests.requestErasure(try request.requireContext(), subject: body.userID)
            return try APIResponse.json(DataSubjectRequestJSON(created), status: .created)
        }

        routes.get(
            "/api/v1/privacy/exports/:id", access: .permission(.tenantRead),
            documentation: APIDocumentation(
                summary: "Downloads a finished export (JSON) once, within 7 days; requester, subject or members.manage",
                responseSchema: ["type": "object"]
            )
        ) { request in
            let json = try await requests.downloadExport(try request.requireContext(), id: try request.pathID(notFound: notFound))
            var response = Response.json(Array(json))
            response.headerFields[.cacheControl] = "no-store"
            response.headerFields[HTTPField.Name("Content-Disposition")!] = "attachment; filename=\"personal-data-export.json\""
            return response
        }

        routes.get(
            "/api/v1/privacy/processing-records", access: .permission(.auditRead),
            documentation: APIDocumentation(
                summary: "Records of processing (GDPR Art. 30): personal-data categories, purpose, legal basis, retention, region",
                responseSchema: ItemsJSON<ProcessingRecordJSON>.schema(ProcessingRecordJSON.schema)
            )
        ) { request in
            try APIResponse.json(ItemsJSON(items: try await requests.processingRecords(try request.requireContext()).map(ProcessingRecordJSON.init)))
        }
    }
}

/// `POST /api/v1/privacy/exports` and `/erasures`.
struct SubjectRequest: Decodable {
    var userID: UUID

    enum CodingKeys: String, CodingKey { case userID = "user_id" }

    static let schema = Schema.object(["user_id": Schema.uuid])
}

/// A data-subject request.
struct DataSubjectRequestJSON: Encodable {
    var id: UUID
    var kind: String
    var status: String
    var step: String
    var userID: UUID?
    var requestedBy: UUID?
    var createdAt: Date
    var finishedAt: Date?
    var exportAvailable: Bool
    var exportExpiresAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, kind, status, step
        case userID = "user_id", requestedBy = "requested_by", createdAt = "created_at", finishedAt = "finished_at"
        case exportAvailable = "export_available", exportExpiresAt = "export_expires_at"
    }

    init(_ request: DataSubjectRequest) {
        id = request.id
        kind = request.isTenantErasure ? "tenant_erasure" : request.kind.rawValue
        status = request.status.rawValue
        step = request.step
        userID = request.subjectUserID
        requestedBy = request.requestedBy
        createdAt = request.createdAt
        finishedAt = request.finishedAt
        exportAvailable = request.export?.isAvailable ?? false
        exportExpiresAt = request.export?.expiresAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(status, forKey: .status)
        try container.encode(step, forKey: .step)
        try container.encode(userID, forKey: .userID)
        try container.encode(requestedBy, forKey: .requestedBy)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(exportAvailable, forKey: .exportAvailable)
        try container.encode(exportExpiresAt, forKey: .exportExpiresAt)
    }

    static let optionalUUID: JSONValue = ["type": ["string", "null"], "format": "uuid"]
    static let schema = Schema.object([
        "id": Schema.uuid, "kind": ["type": "string", "enum": ["export", "erasure", "tenant_erasure"]],
        "status": ["type": "string", "enum": ["queued", "running", "done", "failed"]], "step": Schema.string("The last completed step"),
        "user_id": optionalUUID, "requested_by": optionalUUID, "created_at": Schema.dateTime, "finished_at": Schema.optionalDateTime,
        "export_available": Schema.boolean, "export_expires_at": Schema.optionalDateTime,
    ])
}

/// One row of the records of processing.
struct ProcessingRecordJSON: Encodable {
    var category: String
    var fields: [String]
    var purpose: String
    var legalBasis: String
    var retention: String
    var region: String
    var country: String
    var jurisdiction: String

    enum CodingKeys: String, CodingKey {
        case category, fields, purpose, retention, region, country, jurisdiction
        case legalBasis = "legal_basis"
    }

    init(_ record: ProcessingRecord) {
        category = record.activity.category
        fields = record.activity.fields
        purpose = record.activity.purpose
        legalBasis = record.activity.legalBasis
        retention = record.retention
        region = record.region
        country = record.country
        jurisdiction = record.jurisdiction
    }

    static let schema = Schema.object([
        "category": Schema.string(), "fields": Schema.array(Schema.string()), "purpose": Schema.string(), "legal_basis": Schema.string(),
        "retention": Schema.string(), "region": Schema.string(), "country": Schema.string(), "jurisdiction": Schema.string(),
    ])
}
