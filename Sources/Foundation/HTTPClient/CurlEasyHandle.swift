import CCurl
import CCurlShim
import Foundation

/// Owns one libcurl easy handle, its header list and its error buffer, and frees all three in `deinit`.
///
/// A CURL handle must not be used from two threads at once, so this class is not Sendable: each pool thread of an
/// ``HTTPClient`` keeps its own (``forCurrentThread()``) and uses it for one transfer at a time. The `curl_slist` given to
/// `CURLOPT_HTTPHEADER` is kept here because curl reads it during the whole transfer, not only at `setopt`.
final class CurlEasyHandle {
    private let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// CURLOPT_ERRORBUFFER: curl writes a detailed message here when a call fails.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// Makes `curl_global_init` run once per process, before the first easy handle.
    private static let globalInit: CURLcode = falaj_curl_global_init_default()

    init() throws(HTTPClientError) {
        guard Self.globalInit == CURLE_OK else {
            throw HTTPClientError(.invalidRequest, message: "libcurl could not initialise", curlCode: Int(Self.globalInit.rawValue))
        }
        guard let handle = curl_easy_init() else {
            throw HTTPClientError(.invalidRequest, message: "curl_easy_init failed")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        // The handle is owned from here on: any later throw still reaches deinit.
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    func set(_ option: CURLoption, _ value: Int) throws(HTTPClientError) {
        try check(falaj_curl_setopt_long(handle, option, value), option)
    }

    func set(_ option: CURLoption, offset value: Int64) throws(HTTPClientError) {
        try check(falaj_curl_setopt_offset(handle, option, curl_off_t(value)), option)
    }

    /// Curl copies string options (since 7.17), so the temporary C string may go away after the call.
    func set(_ option: CURLoption, _ value: String) throws(HTTPClientError) {
        try check(falaj_curl_setopt_string(handle, option, value), option)
    }

    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) throws(HTTPClientError) {
        try check(falaj_curl_setopt_pointer(handle, option, value), option)
    }

    /// Replaces the request header list; the new list lives until the next call or `deinit`.
    func setHeaders(_ lines: [String]) throws(HTTPClientError) {
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let appended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw HTTPClientError(.invalidRequest, message: "out of memory building the header list")
            }
            list = appended
        }
        try check(falaj_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, list), CURLOPT_HTTPHEADER)
        curl_slist_free_all(headerList)
        headerList = list
    }

    func setCallbacks(
        write: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int,
        header: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int,
        read: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int,
        progress: @convention(c) (UnsafeMutableRawPointer?, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> Int32,
        userData: UnsafeMutableRawPointer
    ) throws(HTTPClientError) {
        try check(falaj_curl_setopt_write_function(handle, write), CURLOPT_WRITEFUNCTION)
        try check(falaj_curl_setopt_header_function(handle, header), CURLOPT_HEADERFUNCTION)
        try check(falaj_curl_setopt_read_function(handle, read), CURLOPT_READFUNCTION)
        try check(falaj_curl_setopt_xferinfo_function(handle, progress), CURLOPT_XFERINFOFUNCTION)
        try set(CURLOPT_NOPROGRESS, 0)
        for option in [CURLOPT_WRITEDATA, CURLOPT_HEADERDATA, CURLOPT_READDATA, CURLOPT_XFERINFODATA] {
            try set(option, pointer: userData)
        }
    }

    /// Clears every option for the next request while keeping the handle's connection cache, so the next request to
    /// the same host reuses a kept-alive connection (`curl_easy_reset`).
    func reset() throws(HTTPClientError) {
        curl_easy_reset(handle)
        curl_slist_free_all(headerList)
        headerList = nil
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
    }

    /// The calling thread's handle, made on first use and kept for the thread's life (its connections with it), reset
    /// for a new request. Pool threads are long-lived, so connections to a host are reused across requests.
    static func forCurrentThread() throws(HTTPClientError) -> CurlEasyHandle {
        let key = "falaj.curl-easy-handle"
        if let cached = Thread.current.threadDictionary[key] as? CurlEasyHandle {
            try cached.reset()
            return cached
        }
        let handle = try CurlEasyHandle()
        Thread.current.threadDictionary[key] = handle
        return handle
    }

    /// Runs the whole transfer on the calling thread (blocking). Call only from a ``BlockingPool`` thread.
    func perform() -> CURLcode {
        errorBuffer[0] = 0
        return curl_easy_perform(handle)
    }

    /// The status code of the last response received, or 0.
    var responseCode: Int {
        var code = 0
        _ = falaj_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    /// The error buffer's text when curl filled it, else the generic text for `code`.
    func message(for code: CURLcode) -> String {
        let detail = String(cString: errorBuffer)
        return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws(HTTPClientError) {
        guard code == CURLE_OK else {
            throw HTTPClientError(
                .invalidRequest,
                message: "curl option \(option.rawValue): \(String(cString: curl_easy_strerror(code)))",
                curlCode: Int(code.rawValue)
            )
        }
    }
}

@available(*, unavailable, message: "a CURL easy handle must stay on one thread")
extension CurlEasyHandle: Sendable {}
