import Foundation

/// A region the control plane serves, with its cell database name. The embedded default has three.
struct RegionDefinition: Sendable {
    let id: String
    let displayName: String
    let country: String
    let jurisdiction: String

    /// The cell database's name on a shared server: `falaj_cell_me_central_1`.
    var cellDatabaseName: String { "falaj_cell_" + id.replacingOccurrences(of: "-", with: "_") }

    /// The regions of the embedded default (DESIGN.md §2): two in the UAE (Dubai, and Abu Dhabi as the place a UAE
    /// tenant may allow for disaster recovery without leaving `AE`) and one in the EU. Each is an active cell.
    static let defaults: [RegionDefinition] = [
        RegionDefinition(id: "me-central-1", displayName: "UAE (Dubai)", country: "AE", jurisdiction: "AE"),
        RegionDefinition(id: "me-central-2", displayName: "UAE (Abu Dhabi)", country: "AE", jurisdiction: "AE"),
        RegionDefinition(id: "eu-west-1", displayName: "EU (Ireland)", country: "IE", jurisdiction: "EU"),
    ]
}
