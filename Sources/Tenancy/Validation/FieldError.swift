/// A form value the user must correct: which field, and what to do about it.
///
/// The ``message`` is written for the person filling in the form ("Enter an e-mail address like name@example.com")
/// and never echoes the value back, so the edge can show it beside the field as it is and log it without leaking
/// a password.
public struct FieldError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The form field's name, for example `email`, `password` or `slug`.
    public var field: String
    /// What was wrong and what to do, in a sentence for the user.
    public var message: String

    /// Creates an error for one field.
    /// - Parameters:
    ///   - field: the form field's name.
    ///   - message: a sentence for the user.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// `field: message`.
    public var description: String { "\(field): \(message)" }
}
