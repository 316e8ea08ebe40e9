import Foundation
import HTTPTypes
import Platform
import Tenancy
import WebServer

/// The canary panel of a deployment's page: begin a canary (candidate, steps, baking time, guardrails), watch the
/// running one's step and its candidate's figures, abort it, and the canaries before with why each ended.
enum CanaryPages {
    /// Adds the routes.
    static func add(to routes: inout PortalRoutes, pages: Pages) {
        routes.post("/app/deployments/:deployment/canary", access: .permission(.deploymentsWrite)) { request in
            let name = try request.segment("deployment")
            let form = request.form
            func number(_ field: String) -> Double? { Double(form[field].trimmingCharacters(in: .whitespaces)) }
            let steps = form["steps"].split(whereSeparator: { $0 == "," || $0 == " " }).map { Int($0) ?? -1 }
            let canary = CanaryForm(
                candidate: form["candidate"], steps: steps, bakeSeconds: number("bake_seconds").map { Int($0) } ?? -1,
                maxErrorRate: number("max_error_percent").map { $0 / 100 } ?? -1, maxP99Milliseconds: form["max_p99_ms"].isEmpty ? nil : number("max_p99_ms") ?? -1,
                minRequests: number("min_requests").map { Int($0) } ?? -1)
            do {
                _ = try await pages.environment.requirePlatform().deployments.startCanary(canary, deployment: name, context: try request.requireContext())
                return Pages.redirect("/app/deployments/\(name)")
            } catch let error as PlatformError where error.status != .notFound {
                return try await DeploymentPages.deploymentPage(request, pages: pages, ["canaryError": error.description])
            }
        }

        routes.post("/app/deployments/:deployment/canary/abort", access: .permission(.deploymentsWrite)) { request in
            let name = try request.segment("deployment")
            do {
                _ = try await pages.environment.requirePlatform().deployments.abortCanary(name, reason: request.form["reason"], context: try request.requireContext())
                return Pages.redirect("/app/deployments/\(name)")
            } catch let error as PlatformError where error.status != .notFound {
                return try await DeploymentPages.deploymentPage(request, pages: pages, ["canaryError": error.description])
            }
        }
    }

    /// The panel's view: the running canary in words, whether one can begin, and the history.
    static func view(_ canaries: [Canary], deployment: Deployment) -> [String: Any] {
        let running = canaries.first { $0.state == "running" }
        var view: [String: Any] = [
            "canStartCanary": running == nil && deployment.variants.filter { !$0.isShadow }.count >= 2,
            "canaryCandidates": deployment.variants.filter { !$0.isShadow }.sorted { $0.weight < $1.weight }.map { ["name": $0.name] },
            "canaries": canaries.map { canary -> [String: Any] in
                [
                    "candidate": canary.candidate, "baseline": canary.baseline, "steps": canary.steps.map { "\($0)%" }.joined(separator: " → "),
                    "state": canary.state.replacingOccurrences(of: "_", with: " "),
                    "badge": ["completed": "badge ok", "rolled_back": "badge warn", "running": "badge"][canary.state] ?? "badge",
                    "reason": canary.reason, "created": Pages.format(canary.createdAt),
                ]
            },
            "hasCanaries": !canaries.isEmpty,
        ]
        if let running {
            let figures = running.stepFigures
            let baked = String(format: "%.0f of %d s baked", min(figures?.elapsedSeconds ?? 0, Double(running.bakeSeconds)), running.bakeSeconds)
            let answers = figures.map {
                "\($0.requests) answers, \($0.errors) failed" + ($0.p99Milliseconds.map { String(format: ", p99 %.1f ms", $0) } ?? "")
            } ?? "no answers yet"
            view["runningCanary"] = [
                "candidate": running.candidate, "baseline": running.baseline, "step": running.step, "stepCount": running.steps.count, "share": running.share,
                "figures": "\(baked); \(answers) (judged from \(running.minRequests) answers)",
                "guardrails": "errors at most \(Deployments.percent(running.maxErrorRate))"
                    + (running.maxP99Milliseconds.map { String(format: ", p99 at most %.1f ms", $0) } ?? ""),
            ]
        }
        return view
    }
}
