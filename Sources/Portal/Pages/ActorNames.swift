import Foundation
import Tenancy

/// Names for the actors rows record (`user:<id>`, `api_key:<id>`, `operator:<id>`, `system`): a member's display name
/// when the viewer may list members, else a description ("a member", "an API key").
struct ActorNames {
    private let members: [String: String]

    /// Looks the tenant's members up once for a page (nothing when the viewer lacks `members.read`).
    init(pages: Pages, context: RequestContext) async {
        guard context.allows(.membersRead), let list = try? await pages.tenancy.members.list(context) else {
            members = [:]
            return
        }
        members = Dictionary(list.map { ("user:" + $0.id.uuidString.lowercased(), $0.displayName.isEmpty ? $0.email : $0.displayName) }) { first, _ in first }
    }

    /// Names from a map of recorded actor → name (tests).
    init(members: [String: String]) { self.members = members }

    /// The name to show for `recorded`.
    func name(_ recorded: String) -> String {
        if let member = members[recorded] { return member }
        switch recorded.prefix(while: { $0 != ":" }) {
        case "user": return "a former member"
        case "api_key": return "an API key"
        case "operator": return "an operator"
        default: return "the platform"
        }
    }

    /// `text` with every recorded actor in it (`user:<id>`, `api_key:<id>`) replaced by its name.
    func describe(_ text: String) -> String {
        var result = text
        for match in text.matches(of: #/(user|api_key|operator):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/#).reversed() {
            result.replaceSubrange(match.range, with: name(String(text[match.range])))
        }
        return result
    }
}
