import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// `/api/v1/residency`: the organisation's residency policy, and placement checks against it.
enum ResidencyAPI {
    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        let router = environment.tenancy.environment.router
        let policies = ResidencyPolicies(router: router)

        routes.get(
            "/api/v1/residency", access: .permission(.tenantRead),
            documentation: APIDocumentation(summary: "Where the organisation's data lives, and its residency policy", responseSchema: ResidencyJSON.schema)
        ) { request in
            let context = try request.requireContext()
            let policy = try await policies.policy(for: context.tenantID, homeRegion: context.region)
            return try APIResponse.json(ResidencyJSON(policy, tenantName: context.tenant.displayName, catalog: try await RegionCatalog(directory: router.directory).all()))
        }

        routes.add(
            .put, "/api/v1/residency", access: .permission(.securityManage),
            documentation: APIDocumentation(
                summary: "Replaces the allowed processing regions and the cross-border flag (the home region never changes here)",
                requestSchema: ResidencyUpdateJSON.schema, responseSchema: ResidencyJSON.schema
            ),
            maxBodySize: APIBody.maximumSize
        ) { request in
            let context = try request.requireContext()
            try context.require(.securityManage)
            let body: ResidencyUpdateJSON = try await request.decodeJSON()
            let policy = try await policies.update(
                tenant: context.tenantID, homeRegion: context.region, allowedProcessingRegions: body.allowedProcessingRegions,
                isCrossBorderTransferAllowed: body.isCrossBorderTransferAllowed, actor: context.auditActor, requestID: context.requestID,
                sourceIP: context.clientAddress
            )
            return try APIResponse.json(ResidencyJSON(policy, tenantName: context.tenant.displayName, catalog: try await RegionCatalog(directory: router.directory).all()))
        }

        routes.add(
            .post, "/api/v1/residency/placement-checks", access: .permission(.tenantRead),
            documentation: APIDocumentation(
                summary: "May the organisation's data be stored in, processed in or sent to a region? A refusal is a 403 naming the rule, and is audited",
                requestSchema: PlacementCheckJSON.schema, responseSchema: PlacementAllowedJSON.schema
            ),
            maxBodySize: APIBody.maximumSize
        ) { request in
            let context = try request.requireContext()
            let body: PlacementCheckJSON = try await request.decodeJSON()
            guard let operation = PlacementOperation(rawValue: body.operation) else {
                throw TenancyError.invalid(field: "operation", "Choose one of store, process or transfer")
            }
            guard (1...40).contains(body.region.count) else { throw TenancyError.invalid(field: "region", "Give a region id such as me-central-1") }
            try await policies.check(
                tenant: context.tenantID, homeRegion: context.region, tenantName: context.tenant.displayName, operation: operation,
                region: body.region, actor: context.auditActor, requestID: context.requestID, sourceIP: context.clientAddress
            )
            return try APIResponse.json(PlacementAllowedJSON(allowed: true, operation: operation.rawValue, region: body.region))
        }
    }
}

/// A residency policy on the wire, with the home region's facts and the plain-language statement.
struct ResidencyJSON: Encodable {
    struct RegionJSON: Encodable {
        var id: String
        var displayName: String
        var country: String
        var jurisdiction: String

        enum CodingKeys: String, CodingKey { case id, displayName = "display_name", country, jurisdiction }
    }

    var homeRegion: RegionJSON
    var allowedProcessingRegions: [String]
    var isCrossBorderTransferAllowed: Bool
    var statement: [String]

    enum CodingKeys: String, CodingKey {
        case homeRegion = "home_region", allowedProcessingRegions = "allowed_processing_regions"
        case isCrossBorderTransferAllowed = "is_cross_border_transfer_allowed", statement
    }

    init(_ policy: ResidencyPolicy, tenantName: String, catalog: [Region]) {
        let home = catalog.first { $0.id == policy.homeRegion }
        homeRegion = RegionJSON(id: policy.homeRegion, displayName: home?.displayName ?? policy.homeRegion, country: home?.country ?? "", jurisdiction: home?.jurisdiction ?? "")
        allowedProcessingRegions = policy.allowedProcessingRegions
        isCrossBorderTransferAllowed = policy.isCrossBorderTransferAllowed
        statement = policy.statement(tenantName: tenantName, catalog: catalog)
    }

    static let schema = Schema.object([
        "home_region": Schema.object(["id": Schema.string(), "display_name": Schema.string(), "country": Schema.string(), "jurisdiction": Schema.string()]),
        "allowed_processing_regions": Schema.array(Schema.string("Region ids besides home where jobs may run")),
        "is_cross_border_transfer_allowed": Schema.boolean,
        "statement": Schema.array(Schema.string("A sentence about where data, files and jobs live")),
    ])
}

/// The body of `PUT /api/v1/residency`.
struct ResidencyUpdateJSON: Decodable {
    var allowedProcessingRegions: [String]
    var isCrossBorderTransferAllowed: Bool

    enum CodingKeys: String, CodingKey {
        case allowedProcessingRegions = "allowed_processing_regions", isCrossBorderTransferAllowed = "is_cross_border_transfer_allowed"
    }

    static let schema = Schema.object([
        "allowed_processing_regions": Schema.array(Schema.string("A region id; without cross-border transfer it must share the home jurisdiction")),
        "is_cross_border_transfer_allowed": Schema.boolean,
    ])
}

/// The body of `POST /api/v1/residency/placement-checks`.
struct PlacementCheckJSON: Decodable {
    var operation: String
    var region: String

    static let schema = Schema.object([
        "operation": ["type": "string", "enum": .array(PlacementOperation.allCases.map { .string($0.rawValue) })],
        "region": Schema.string("A region id, e.g. me-central-1"),
    ])
}

/// The answer when a placement is allowed.
struct PlacementAllowedJSON: Encodable {
    var allowed: Bool
    var operation: String
    var region: String

    static let schema = Schema.object(["allowed": Schema.boolean, "operation": Schema.string(), "region": Schema.string()])
}
