import HTTPTypes

/// A handler and its options.
struct Route: Sendable {
    let handler: RequestHandler
    let maxBodySize: Int?
}

/// One node of the routing trie; a path segment each level down.
struct RouteNode: Sendable {
    /// The pattern of the routes that end at this node (intermediate nodes keep the first pattern that passed through).
    private(set) var pattern: String
    var literals: [String: RouteNode] = [:]
    var parameter: (name: String, node: Box)?
    var wildcard: Box?
    var catchAll: Box?
    var routes: [HTTPRequest.Method: Route] = [:]

    /// Indirection so the recursive struct has a fixed size.
    final class Box: Sendable {
        // Mutated only while the router is being built, before it is shared.
        nonisolated(unsafe) var node: RouteNode
        init(_ node: RouteNode) { self.node = node }
    }

    init(pattern: String) { self.pattern = pattern }

    mutating func insert(pattern: String, method: HTTPRequest.Method, route: Route) {
        let segments = pattern.split(separator: "/").map(String.init)
        insert(segments[...], fullPattern: pattern, method: method, route: route)
    }

    private mutating func insert(_ segments: ArraySlice<String>, fullPattern: String, method: HTTPRequest.Method, route: Route) {
        guard let first = segments.first else {
            routes[method] = route
            pattern = fullPattern
            return
        }
        let rest = segments.dropFirst()
        if first == "**" {
            precondition(rest.isEmpty, "'**' must be the last segment of \(fullPattern)")
            let box = catchAll ?? Box(RouteNode(pattern: fullPattern))
            box.node.routes[method] = route
            catchAll = box
        } else if first == "*" {
            let box = wildcard ?? Box(RouteNode(pattern: fullPattern))
            box.node.insert(rest, fullPattern: fullPattern, method: method, route: route)
            wildcard = box
        } else if first.hasPrefix(":") {
            let name = String(first.dropFirst())
            if let parameter { precondition(parameter.name == name, "conflicting parameter names :\(parameter.name) and :\(name) in \(fullPattern)") }
            let box = parameter?.node ?? Box(RouteNode(pattern: fullPattern))
            box.node.insert(rest, fullPattern: fullPattern, method: method, route: route)
            parameter = (name, box)
        } else {
            var child = literals[first] ?? RouteNode(pattern: fullPattern)
            child.insert(rest, fullPattern: fullPattern, method: method, route: route)
            literals[first] = child
        }
    }

    /// The deepest node matching all of `segments` that has at least one route, with captured parameters.
    func match(_ segments: ArraySlice<String>) -> (node: RouteNode, parameters: [String: String])? {
        guard let first = segments.first else {
            if !routes.isEmpty { return (self, [:]) }
            if let catchAll { return (catchAll.node, ["**": ""]) }
            return nil
        }
        let rest = segments.dropFirst()
        if let child = literals[first], let found = child.match(rest) { return found }
        if let parameter, let found = parameter.node.node.match(rest) {
            var parameters = found.parameters
            parameters[parameter.name] = first
            return (found.node, parameters)
        }
        if let wildcard, let found = wildcard.node.match(rest) { return found }
        if let catchAll { return (catchAll.node, ["**": segments.joined(separator: "/")]) }
        return nil
    }

    /// The route for `method`; HEAD falls back to GET.
    func route(for method: HTTPRequest.Method) -> Route? {
        routes[method] ?? (method == .head ? routes[.get] : nil)
    }

    /// Methods with a route here (HEAD included when GET is), for `Allow`.
    var allowedMethods: [HTTPRequest.Method] {
        var methods = Array(routes.keys)
        if routes[.get] != nil && routes[.head] == nil { methods.append(.head) }
        return methods.sorted { $0.rawValue < $1.rawValue }
    }
}

extension RouteNode {
    /// Every method + pattern in this subtree, sorted by pattern then method.
    func allRoutes() -> [(method: HTTPRequest.Method, pattern: String)] {
        var found = routes.keys.map { (method: $0, pattern: pattern) }
        for child in literals.values { found += child.allRoutes() }
        for box in [parameter?.node, wildcard, catchAll].compactMap({ $0 }) { found += box.node.allRoutes() }
        return found.sorted { ($0.pattern, $0.method.rawValue) < ($1.pattern, $1.method.rawValue) }
    }
}
