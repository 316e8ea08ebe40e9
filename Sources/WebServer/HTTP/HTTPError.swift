public import HTTPTypes

/// An error that knows the HTTP status it should become. The router turns it into a response in one place.
public protocol HTTPResponseError: Error {
    /// The status to answer with.
    var status: HTTPResponse.Status { get }
    /// A message safe to show to the client; never internal detail.
    var publicMessage: String { get }
    /// Extra header fields for the response (for example `Allow` on 405).
    var headerFields: HTTPFields { get }
}

extension HTTPResponseError {
    /// No extra header fields.
    public var headerFields: HTTPFields { [:] }
}

/// A plain HTTP error with a status and a client-safe message.
public struct HTTPError: HTTPResponseError, Sendable, CustomStringConvertible {
    /// The status to answer with.
    public let status: HTTPResponse.Status
    /// A message safe to show to the client.
    public let publicMessage: String
    /// Extra header fields for the response.
    public let headerFields: HTTPFields

    /// Creates an error; `message` defaults to the status's reason phrase.
    public init(_ status: HTTPResponse.Status, _ message: String? = nil, headerFields: HTTPFields = [:]) {
        self.status = status
        self.publicMessage = message ?? status.reasonPhrase
        self.headerFields = headerFields
    }

    /// `status: message`.
    public var description: String { "\(status.code): \(publicMessage)" }
}
