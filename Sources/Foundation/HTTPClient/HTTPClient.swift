import CCurl
import CCurlShim

/// Namespace for the libcurl-based HTTP client (used by agents and the prediction gateway in later issues).
public enum HTTPClientLibrary {
    /// The libcurl version this binary links, e.g. `7.88.1` (asks for CURLVERSION_TENTH, the struct layout of libcurl 7.88).
    public static var curlVersion: String {
        guard let info = curl_version_info(CURLversion(rawValue: 10)) else { return "unknown" }
        return String(cString: info.pointee.version)
    }
}
