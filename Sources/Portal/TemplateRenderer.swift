import BlockingPool
import Foundation
import Mustache
import HTTPTypes
import WebServer

/// Renders the portal's Mustache templates (HTML-escaped by default) from the module's `Templates` folder.
struct TemplateRenderer: Sendable {
    private let library: MustacheLibrary

    /// Loads every `*.mustache` file shipped with the module, once, at start-up. The files are read on a
    /// blocking thread, never on the cooperative pool.
    static func load() async throws -> TemplateRenderer {
        let sources = try await BlockingPool.shared.run { () throws -> [String: String] in
            guard let directory = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
                throw PortalSetupError(message: "the portal's Templates folder is missing from the build")
            }
            var sources: [String: String] = [:]
            for file in try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            where file.pathExtension == "mustache" {
                sources[file.deletingPathExtension().lastPathComponent] = try String(contentsOf: file, encoding: .utf8)
            }
            return sources
        }
        return TemplateRenderer(library: MustacheLibrary(templates: try sources.mapValues { try MustacheTemplate(string: $0) }))
    }

    /// Renders `template` with `context` (a dictionary or struct) into an HTML response.
    func page(_ template: String, _ context: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        guard let html = library.render(context, withTemplate: template) else {
            return Response.text("template \(template) is missing", status: .internalServerError)
        }
        return Response.html(html, status: status)
    }
}

/// The portal could not start (a missing resource or folder).
struct PortalSetupError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
