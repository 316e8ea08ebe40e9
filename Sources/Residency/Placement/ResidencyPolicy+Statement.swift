extension ResidencyPolicy {
    /// Where the tenant's data, files and jobs live, in plain language, for the residency page and API.
    /// - Parameters:
    ///   - tenantName: the organisation's name.
    ///   - catalog: the region catalog (for names and jurisdictions).
    /// - Returns: sentences, in order: storage, processing, cross-border transfer.
    public func statement(tenantName: String, catalog: [Region]) -> [String] {
        let home = catalog.first { $0.id == homeRegion }
        let homeName = home.map { "\($0.id), \($0.displayName)" } ?? homeRegion
        let law = home.map { Jurisdiction.phrase($0.jurisdiction) } ?? "its home jurisdiction"
        var sentences = [
            "All of \(tenantName)'s data — database rows, uploaded files and model artifacts — is stored only in \(homeName), under the law of \(law)."
        ]
        let others = allowedProcessingRegions.filter { $0 != homeRegion }
        if others.isEmpty {
            sentences.append("Training jobs and model replicas run only in \(homeRegion).")
        } else {
            let listed = others.map { id in
                catalog.first { $0.id == id }.map { "\($0.id) (\(Jurisdiction.name($0.jurisdiction)))" } ?? id
            }
            sentences.append("Training jobs and model replicas run in \(homeRegion), and may also run in \(listed.joined(separator: ", ")).")
        }
        if isCrossBorderTransferAllowed {
            sentences.append("Cross-border transfer is permitted: the organisation may send copies of its data outside \(law).")
        } else {
            sentences.append("Cross-border transfer is not permitted: no copy of the data leaves \(law); such requests are refused and recorded in the audit log.")
        }
        return sentences
    }
}
