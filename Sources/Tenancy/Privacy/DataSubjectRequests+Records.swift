import PostgresClient
public import Residency

extension DataSubjectRequests {
    /// The organisation's records of processing (GDPR Art. 30): every personal-data category with its purpose,
    /// legal basis, the organisation's retention and its home region. Needs `audit.read` (owners, admins, auditors:
    /// the people who answer a regulator).
    public func processingRecords(_ context: RequestContext) async throws -> [ProcessingRecord] {
        try context.require(.auditRead)
        let policies = try await environment.router.withTenantTransaction(context.tenantID) { connection in
            try await RetentionPolicies.effective(on: connection)
        }
        let regions = try await RegionCatalog(directory: environment.router.directory).all()
        let region = regions.first { $0.id == context.region } ?? Region(id: context.region, displayName: context.region, country: "", jurisdiction: "")
        return ProcessingRecords.records(policies: policies, region: region)
    }
}
