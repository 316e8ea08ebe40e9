#ifndef FALAJ_C_CURL_SHIM_H
#define FALAJ_C_CURL_SHIM_H
/* Typed wrappers for libcurl's variadic option and info calls. */
#include <curl/curl.h>

CURLcode falaj_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode falaj_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode falaj_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode falaj_curl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value);
CURLcode falaj_curl_setopt_write_function(CURL *handle, size_t (*fn)(char *, size_t, size_t, void *));
CURLcode falaj_curl_setopt_read_function(CURL *handle, size_t (*fn)(char *, size_t, size_t, void *));
CURLcode falaj_curl_setopt_header_function(CURL *handle, size_t (*fn)(char *, size_t, size_t, void *));
CURLcode falaj_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode falaj_curl_getinfo_double(CURL *handle, CURLINFO info, double *value);
CURLMcode falaj_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);
/* curl_global_init(CURL_GLOBAL_DEFAULT): the flag is a compound macro Swift cannot import. */
CURLcode falaj_curl_global_init_default(void);
CURLcode falaj_curl_getinfo_offset(CURL *handle, CURLINFO info, curl_off_t *value);
CURLcode falaj_curl_setopt_xferinfo_function(CURL *handle, int (*fn)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t));

#endif
