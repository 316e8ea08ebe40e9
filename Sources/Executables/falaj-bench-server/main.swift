import HTTPTypes
import Logging
import ServiceLifecycle
import UnixSignals
import WebServer

// The benchmark server: `falaj-bench-server PORT`. Two routes, like for like with bench/hummingbird.
let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 8080
var logger = Logger(label: "falaj.bench")
logger.logLevel = .warning

var routes = RouterBuilder()
let plaintext = Array("Hello, World!".utf8)
let json = Array(#"{"message":"Hello, World!"}"#.utf8)
routes.get("/plaintext") { _ in Response(headerFields: [.contentType: "text/plain"], body: .bytes(plaintext)) }
routes.get("/json") { _ in Response(headerFields: [.contentType: "application/json"], body: .bytes(json)) }

var configuration = HTTPServerConfiguration()
configuration.port = port
let server = try HTTPServer(configuration: configuration, responder: routes.build(logger: logger), logger: logger)
let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
try await group.run()
