import Foundation
import Mustache
import HTTPTypes
import WebServer

/// Renders the portal's Mustache templates (HTML-escaped by default) from the module's `Templates` folder.
struct TemplateRenderer: Sendable {
    private let library: MustacheLibrary

    /// Loads every `*.mustache` file shipped with the module. Reads files once, at start-up.
    static func load() async throws -> TemplateRenderer {
        guard let directory = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw PortalSetupError(message: "the portal's Templates folder is missing from the build")
        }
        return TemplateRenderer(library: try await MustacheLibrary(directory: directory.path))
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
