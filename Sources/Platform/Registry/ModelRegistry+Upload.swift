import Foundation
import Learning
import PostgresClient
import Residency
public import Tenancy

extension ModelRegistry {
    /// The largest model file an upload accepts.
    public static let maximumUploadSize: Int64 = 1 << 30
    /// The largest `.falaj` file read back whole to check it (larger ones are refused).
    static let maximumCheckedModelSize: Int64 = 256 << 20

    /// Registers a new version of `name` (made when new) from an uploaded file, streamed and encrypted as it arrives.
    /// A `.falaj` file is read back and checked (magic, version, length, checksum) and its signature taken from its
    /// preprocessing; any other file is stored as `custom` with the `signature` given. Such a version has no run, so
    /// its lineage is only who uploaded it: the compliance gate (lineage on record) blocks its promotion unless the
    /// model's gates turn compliance off. Audited as `model.version_uploaded`.
    /// - Throws: ``PlatformError/invalidFields(_:)`` naming `file` for an empty or damaged file, `model` for a bad name.
    public func upload(
        _ body: some AsyncSequence<[UInt8], any Error> & Sendable, fileName: String, description: String = "", signature: ModelSignature? = nil,
        model name: String, project slug: String, context request: RequestContext
    ) async throws -> ModelVersion {
        try request.requirePlatform(.modelsWrite)
        if let problem = PlatformName.datasetNameProblem(name) { throw PlatformError.invalid(field: "model", problem) }
        guard description.count <= 2000 else { throw PlatformError.invalid(field: "description", "Keep the description under 2,000 characters") }
        let project = try await context.router.withTenantTransaction(request.tenantID) { try await Projects.find(slug, for: request, on: $0) }
        let file = String((fileName.split(separator: "/").last.map(String.init) ?? "").prefix(255))
        var stored = StoredFile(
            blobName: "models/\(UUID().uuidString.lowercased())", fileName: file.isEmpty ? "model" : file, sizeBytes: 0, sha256: "",
            format: file.hasSuffix(".falaj") ? "falaj-model" : "custom")
        let digest = DigestingSequence(base: body)
        try await context.blobs.put(request.tenantID, name: stored.blobName, from: digest)
        (stored.sha256, stored.sizeBytes, _) = digest.result()
        var signature = signature
        do {
            guard stored.sizeBytes > 0 else { throw PlatformError.invalid(field: "file", "The file is empty") }
            if stored.format == "falaj-model" {
                guard stored.sizeBytes <= Self.maximumCheckedModelSize else {
                    throw PlatformError.invalid(field: "file", "A .falaj file over 256 MiB cannot be checked; upload it under another name as a custom model")
                }
                let bytes = try await context.readBlob(stored.blobName, tenant: request.tenantID)
                let model: ModelFile
                do {
                    model = try ModelFile.decode(bytes)
                } catch {
                    throw PlatformError.invalid(field: "file", "Not a usable Falaj model file: \(error)")
                }
                signature = ModelSignature(
                    inputs: model.preprocessor.inputs.map(\.column),
                    output: .init(type: model.task == .regression ? "number" : "class", classes: model.task == .regression ? nil : model.classes))
            }
        } catch {
            try? await context.blobs.delete(request.tenantID, name: stored.blobName)
            throw error
        }
        let lineage = ModelLineage(run: nil, datasets: [], featureGroups: [], code: nil, params: [:])
        return try await insertVersion(
            stored, runID: nil, signature: signature, metrics: [:], lineage: lineage, description: description, model: name, project: project,
            request: request, audit: ("model.version_uploaded", ["file": stored.fileName, "sha256": stored.sha256, "bytes": String(stored.sizeBytes)]))
    }
}
