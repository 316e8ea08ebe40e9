// Hummingbird 2 hello-world used as the comparison server by bench/run.
//
//   hummingbird-bench-server PORT
//
// Listens on 127.0.0.1:PORT and answers
//   GET /plaintext -> "Hello, World!"                (text/plain; charset=utf-8)
//   GET /json      -> {"message":"Hello, World!"}    (application/json; charset=utf-8)
//
// Kept idiomatic on purpose: default Router, default `.http1()` server, default
// event loop group (`.singleton`, one loop per core the process may run on — bench/run
// pins it to one core), Codable JSON via `ResponseEncodable`, and the logger at
// `.warning` so nothing is logged per request.
import Hummingbird
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Message: ResponseEncodable {
    let message: String
}

let arguments = CommandLine.arguments
guard arguments.count >= 2, let port = Int(arguments[1]), (1...65535).contains(port) else {
    let usage = "usage: hummingbird-bench-server PORT\n"
    _ = usage.withCString { write(2, $0, strlen($0)) }
    exit(64)
}

var logger = Logger(label: "hummingbird-bench-server")
logger.logLevel = .warning

let router = Router()
router.get("plaintext") { _, _ in
    "Hello, World!"
}
router.get("json") { _, _ in
    Message(message: "Hello, World!")
}

let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
    logger: logger
)
try await app.runService()
