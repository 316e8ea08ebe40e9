import Foundation
import HTTPTypes
import Platform
import Tenancy
import WebServer

/// `/api/v1/projects/:project/models`: the model registry (versions, aliases, gated promotions, downloads).
enum ModelsAPI {
    /// Registers the routes, each with its access rule and documentation.
    static func add(to routes: inout PortalRoutes, environment: PortalEnvironment) {
        routes.add(
            .post, "/api/v1/projects/:project/models", access: .permission(.modelsWrite),
            documentation: APIDocumentation(
                summary: "Registers a model name with its promotion gates", requestSchema: CreateModelRequest.schema, responseSchema: ModelJSON.schema,
                successStatus: 201)
        ) { request in
            let body: CreateModelRequest = try await request.decodeJSON()
            let model = try await environment.requirePlatform().models.create(
                name: body.name, description: body.description ?? "", gates: body.gates ?? PromotionGates(), project: try request.segment("project"),
                context: try request.requireContext())
            return try APIResponse.json(ModelJSON(model), status: .created)
        }

        routes.get(
            "/api/v1/projects/:project/models", access: .permission(.modelsRead),
            documentation: APIDocumentation(summary: "The project's registered models with aliases", responseSchema: ItemsJSON<ModelJSON>.schema(ModelJSON.schema))
        ) { request in
            let models = try await environment.requirePlatform().models.list(project: try request.segment("project"), context: try request.requireContext())
            return try APIResponse.json(ItemsJSON(items: models.map(ModelJSON.init)))
        }

        routes.get(
            "/api/v1/projects/:project/models/:model", access: .permission(.modelsRead),
            documentation: APIDocumentation(summary: "A model with its versions and promotion history, newest first", responseSchema: ModelDetailJSON.schema)
        ) { request in
            let (model, versions, promotions) = try await environment.requirePlatform().models.get(
                try request.segment("model"), project: try request.segment("project"), context: try request.requireContext())
            return try APIResponse.json(
                ModelDetailJSON(model: ModelJSON(model), versions: versions.map(ModelVersionJSON.init), promotions: promotions.map(PromotionJSON.init)))
        }

        routes.add(
            .put, "/api/v1/projects/:project/models/:model/gates", access: .permission(.modelsApprove),
            documentation: APIDocumentation(
                summary: "Replaces the model's promotion gates (reviewers own them: models.approve); audited", requestSchema: CreateModelRequest.gatesSchema,
                responseSchema: ModelJSON.schema)
        ) { request in
            let gates: PromotionGates = try await request.decodeJSON()
            let model = try await environment.requirePlatform().models.setGates(
                gates, model: try request.segment("model"), project: try request.segment("project"), context: try request.requireContext())
            return try APIResponse.json(ModelJSON(model))
        }

        routes.add(
            .post, "/api/v1/projects/:project/models/:model/versions", access: .permission(.modelsWrite),
            documentation: APIDocumentation(
                summary: "Registers an immutable version from a succeeded run's artifact (the model is made when new), with lineage and signature",
                requestSchema: RegisterVersionRequest.schema, responseSchema: ModelVersionJSON.schema, successStatus: 201)
        ) { request in
            let body: RegisterVersionRequest = try await request.decodeJSON()
            let registration = VersionRegistration(run: body.run, artifact: body.artifact, description: body.description ?? "", signature: body.signature)
            let version = try await environment.requirePlatform().models.register(
                registration, model: try request.segment("model"), project: try request.segment("project"), context: try request.requireContext())
            return try APIResponse.json(ModelVersionJSON(version), status: .created)
        }

        routes.add(
            .post, "/api/v1/projects/:project/models/:model/versions/upload", access: .permission(.modelsWrite),
            documentation: APIDocumentation(
                summary: "Registers a version from an uploaded file (raw body; query file_name, description): a .falaj file is checked and brings its "
                    + "signature, any other file is a custom model whose signature goes in the X-Falaj-Signature header as JSON. Without a run, "
                    + "the compliance gate blocks its promotion unless the model's gates turn compliance off",
                responseSchema: ModelVersionJSON.schema, successStatus: 201
            ), maxBodySize: Int(ModelRegistry.maximumUploadSize)
        ) { request in
            var signature: ModelSignature?
            if let text = request.headerFields[HTTPField.Name("X-Falaj-Signature")!] {
                do {
                    signature = try JSONDecoder().decode(ModelSignature.self, from: Data(text.utf8))
                } catch {
                    throw PlatformError.invalid(field: "signature", "X-Falaj-Signature must be JSON: {\"inputs\": [{\"name\", \"type\"}], \"output\": {\"type\"}}")
                }
            }
            let version = try await environment.requirePlatform().models.upload(
                request.body, fileName: request.query("file_name") ?? "", description: request.query("description") ?? "", signature: signature,
                model: try request.segment("model"), project: try request.segment("project"), context: try request.requireContext())
            return try APIResponse.json(ModelVersionJSON(version), status: .created)
        }

        routes.get(
            "/api/v1/projects/:project/models/:model/versions/:version/file", access: .permission(.modelsRead),
            documentation: APIDocumentation(summary: "The version's model file, decrypted and streamed; audited as a download", responseSchema: Schema.string("bytes"))
        ) { request in
            try await file(request, platform: try environment.requirePlatform())
        }

        routes.add(
            .post, "/api/v1/projects/:project/models/:model/promotions", access: .permission(.modelsPromote),
            documentation: APIDocumentation(
                summary: "Asks to point an alias at a version: 201 applied or pending (a reviewer is required), 409 blocked with each gate's outcome",
                requestSchema: PromoteRequest.schema, responseSchema: PromotionJSON.schema, successStatus: 201)
        ) { request in
            let body: PromoteRequest = try await request.decodeJSON()
            let promotion = try await environment.requirePlatform().models.promote(
                version: body.version, to: body.alias, reason: body.reason ?? "", model: try request.segment("model"), project: try request.segment("project"),
                context: try request.requireContext())
            return try APIResponse.json(PromotionJSON(promotion), status: promotion.state == .blocked ? .conflict : .created)
        }

        for decision in ["approve", "reject"] {
            routes.add(
                .post, "/api/v1/projects/:project/models/:model/promotions/:promotion/\(decision)", access: .permission(.modelsApprove),
                documentation: APIDocumentation(
                    summary: decision == "approve"
                        ? "Approves a pending promotion (not your own): gates are evaluated again and the alias moves; 409 when they now fail"
                        : "Rejects a pending promotion (not your own); nothing moves",
                    requestSchema: ReviewRequest.schema, responseSchema: PromotionJSON.schema)
            ) { request in
                let body: ReviewRequest = try await request.decodeJSON()
                guard let id = request.parameters["promotion"].flatMap(UUID.init(uuidString:)) else { throw PlatformError.notFound("No such promotion") }
                let registry = try environment.requirePlatform().models
                let (model, project, context) = (try request.segment("model"), try request.segment("project"), try request.requireContext())
                let promotion = decision == "approve"
                    ? try await registry.approve(id, reason: body.reason ?? "", model: model, project: project, context: context)
                    : try await registry.reject(id, reason: body.reason ?? "", model: model, project: project, context: context)
                return try APIResponse.json(PromotionJSON(promotion), status: promotion.state == .blocked ? .conflict : .ok)
            }
        }
    }

    /// Streams a version's file (`:version`), decrypted, as an attachment; an unknown version is a 404 before any byte.
    static func file(_ request: Request, platform: PlatformServices) async throws -> Response {
        guard let number = request.parameters["version"].flatMap({ Int($0) }), number >= 1 else { throw PlatformError.notFound("No such version") }
        let name = try request.segment("model")
        let (version, stream) = try await platform.models.download(number, of: name, project: try request.segment("project"), context: try request.requireContext())
        let fileName = "\(name)-v\(number)-\(version.fileName)".filter { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        return Response(
            headerFields: [
                .contentType: "application/octet-stream", .contentLength: String(version.sizeBytes), .cacheControl: "no-store",
                HTTPField.Name("Content-Disposition")!: "attachment; filename=\"\(fileName)\"", HTTPField.Name("X-Content-SHA256")!: version.sha256,
            ],
            body: .stream { writer in try await stream { bytes in try await writer.write(bytes) } }
        )
    }
}
