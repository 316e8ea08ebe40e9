import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads the few fields Falaj needs from S3's XML responses (ListObjectsV2 results and error documents).
enum S3XML {
    /// The text of every element named in `names`, in document order; nil when the bytes are not well-formed XML.
    static func values(of names: Set<String>, in bytes: [UInt8]) -> [(name: String, text: String)]? {
        let collector = Collector(names: names)
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = collector
        parser.shouldResolveExternalEntities = false
        return parser.parse() ? collector.values : nil
    }

    /// `Code: Message` from an S3 error document, or nil when the bytes hold none.
    static func errorSummary(_ bytes: [UInt8]) -> String? {
        guard let values = values(of: ["Code", "Message"], in: bytes), let code = values.first(where: { $0.name == "Code" })?.text else {
            return nil
        }
        let message = values.first { $0.name == "Message" }?.text
        return message.map { "\(code): \($0)" } ?? code
    }

    private final class Collector: NSObject, XMLParserDelegate {
        let names: Set<String>
        var values: [(name: String, text: String)] = []
        private var current: String?
        private var text = ""

        init(names: Set<String>) {
            self.names = names
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if names.contains(name) {
                current = name
                text = ""
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if current != nil { text += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == current {
                values.append((name, text))
                current = nil
            }
        }
    }
}
