import AgentProtocol
import ComputeAgents
import Foundation
import HTTPTypes
import Residency
import Tenancy
import WebServer

/// The jobs pages: the list with its filter and the "submit a command job" form, and one job's page (placement,
/// attempts, live log, metrics, artifacts, cancel). The live log reads `/app/jobs/:id/log` (text or server-sent
/// events) with the browser's session, since `EventSource` cannot send an API key.
enum JobPages {
    /// What a finished job action says on the page it redirects to (`?done=`).
    private static let notices = ["cancelled": "Cancellation requested. A running job stops on its node at the next heartbeat."]

    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.get("/app/jobs", access: .permission(.jobsRead)) { request in
            try await listPage(request, pages: pages, [:])
        }

        routes.post("/app/jobs", access: .permission(.jobsWrite)) { request in
            let context = try request.requireContext()
            let form = request.form
            do {
                let submission = try JobForm.submission(form)
                let job = try await JobsAPI.submit(submission, services: try pages.environment.requireComputeAgents(), context: context)
                return Pages.redirect("/app/jobs/\(job.id.uuidString.lowercased())")
            } catch let error as ComputeAgentsError {
                let failure = JobForm.failure(error)
                let values = Dictionary(JobForm.fields.map { ($0, form[$0]) }, uniquingKeysWith: { first, _ in first })
                return try await listPage(request, pages: pages, Pages.merge(failure.context, ["values": values]), status: error.status)
            }
        }

        routes.get("/app/jobs/:id", access: .permission(.jobsRead)) { request in
            try await detailPage(request, pages: pages, ["notice": notices[request.query("done") ?? ""] ?? false])
        }

        routes.post("/app/jobs/:id/cancel", access: .permission(.jobsWrite)) { request in
            let context = try request.requireContext()
            let id = try jobID(request)
            do {
                _ = try await pages.environment.requireComputeAgents().jobs.cancel(id, context: context)
                return Pages.redirect("/app/jobs/\(id.uuidString.lowercased())?done=cancelled")
            } catch let error as ComputeAgentsError where error.status != .notFound {
                return try await detailPage(request, pages: pages, ["formError": error.publicMessage], status: error.status)
            }
        }

        routes.get("/app/jobs/:id/log", access: .permission(.jobsRead)) { request in
            let jobs = try pages.environment.requireComputeAgents().jobs
            return try await JobLogStream.response(request, job: try jobID(request), jobs: jobs, context: try request.requireContext())
        }

        routes.get("/app/jobs/:id/artifacts/**", access: .permission(.jobsRead)) { request in
            let jobs = try pages.environment.requireComputeAgents().jobs
            let path = request.pathSegments.dropFirst(4).joined(separator: "/")
            return try await JobsAPI.artifact(try jobID(request), path: path, jobs: jobs, context: try request.requireContext())
        }
    }

    private static func jobID(_ request: Request) throws -> UUID {
        guard let id = UUID(uuidString: request.parameters["id"] ?? "") else { throw HTTPError(.notFound, "No such job") }
        return id
    }

    private static func listPage(_ request: Request, pages: Pages, _ extra: [String: Any], status: HTTPResponse.Status = .ok) async throws -> Response {
        let context = try request.requireContext()
        let services = try pages.environment.requireComputeAgents()
        let filter = JobState(rawValue: request.query("state") ?? "")
        let jobs = try await services.jobs.list(state: filter, limit: 200, context: context)
        let regions = try await RegionChoices.processing(context, pages: pages)
        let values = extra["values"] as? [String: String] ?? JobForm.defaults
        let limits = JobsAPI.quota(for: context)
        let base: [String: Any] = [
            "jobs": jobs.map(JobView.row),
            "hasJobs": !jobs.isEmpty,
            "filter": filter?.rawValue ?? "",
            "hasFilter": filter != nil,
            "states": JobState.allCases.map { ["name": $0.rawValue, "isSelected": $0 == filter] },
            "canSubmit": context.allows(.jobsWrite),
            "regions": regions.map { ["id": $0.id, "displayName": $0.displayName, "isSelected": $0.id == values["region"]] },
            "values": values,
            "plan": [
                "name": context.tenant.plan, "maximumActiveJobs": limits.maximumActiveJobs, "isGPUAllowed": limits.isGPUAllowed,
                "maximumNodes": limits.maximumNodes,
            ],
        ]
        return await pages.render("jobs", request, title: "Jobs", Pages.merge(base, extra), status: status)
    }

    private static func detailPage(_ request: Request, pages: Pages, _ extra: [String: Any], status: HTTPResponse.Status = .ok) async throws -> Response {
        let context = try request.requireContext()
        let id = try jobID(request)
        let jobs = try pages.environment.requireComputeAgents().jobs
        let detail: JobDetail
        do {
            detail = try await jobs.detail(id, context: context)
        } catch ComputeAgentsError.notFound {
            throw HTTPError(.notFound, "No such job in \(context.tenant.displayName)")
        }
        let log = try await JobLogStream.text(id, jobs: jobs, context: context, limit: JobView.renderedLogLimit)
        var model = JobView.detail(detail, canCancel: context.allows(.jobsWrite))
        model["log"] = log.text
        model["hasLog"] = !log.text.isEmpty
        model["isLogTruncated"] = log.text.utf8.count >= JobView.renderedLogLimit
        model["lastEventID"] = log.last ?? ""
        let title = detail.summary.name.isEmpty ? "Job \(detail.summary.id.uuidString.prefix(8).lowercased())" : detail.summary.name
        return await pages.render("job", request, title: title, Pages.merge(model, extra), status: status)
    }
}

/// The regions a tenant may choose for its jobs and dedicated nodes: home plus the regions its residency policy
/// allows for processing, as Residency's placement function decides.
enum RegionChoices {
    /// The active regions where `context`'s tenant may process data, home first.
    static func processing(_ context: RequestContext, pages: Pages) async throws -> [Region] {
        let router = pages.tenancy.environment.router
        let policy = try await ResidencyPolicies(router: router).policy(for: context.tenantID, homeRegion: context.region)
        let catalog = try await RegionCatalog(directory: router.directory).all()
        let allowed = catalog.filter {
            Placement.decide(policy, .process, in: $0.id, catalog: catalog, tenantName: context.tenant.displayName).isAllowed
        }
        return allowed.filter { $0.id == policy.homeRegion } + allowed.filter { $0.id != policy.homeRegion }.sorted { $0.id < $1.id }
    }
}
