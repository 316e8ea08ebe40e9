#ifndef FALAJ_C_OPENSSL_SHIM_H
#define FALAJ_C_OPENSSL_SHIM_H
/* Functions for OpenSSL macros (and variadic calls) that Swift cannot import. */
#include <stdint.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/evp.h>

/** SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION). */
int falaj_ssl_ctx_require_tls12(SSL_CTX *ctx);
/** SSL_set_tlsext_host_name (SNI) for a client connection. */
int falaj_ssl_set_hostname(SSL *ssl, const char *name);
/** BIO_get_mem_data: the bytes written to a memory BIO so far. */
long falaj_bio_get_mem_data(BIO *bio, char **data);
/** SSL_CTX_set_options with SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE. */
void falaj_ssl_ctx_set_server_options(SSL_CTX *ctx);

/** SSL_CTX_set_min_proto_version; `version` is e.g. TLS1_2_VERSION, 0 for the lowest supported. Returns 1 on success. */
int falaj_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version);
/** SSL_CTX_set_max_proto_version; `version` is e.g. TLS1_1_VERSION, 0 for the highest supported. Returns 1 on success. */
int falaj_ssl_ctx_set_max_proto_version(SSL_CTX *ctx, int version);
/** SSL_CTX_set_options with SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION (client and server). */
void falaj_ssl_ctx_set_common_options(SSL_CTX *ctx);
/** SSL_CTX_set_mode with SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, for non-blocking sockets. */
void falaj_ssl_ctx_set_nonblocking_modes(SSL_CTX *ctx);
/** ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING: the peer closed the socket without close_notify. */
int falaj_err_is_unexpected_eof(unsigned long code);
/** For an error code that wraps a system error (ERR_SYSTEM_ERROR), the errno it carries; otherwise 0. */
int falaj_err_system_errno(unsigned long code);
/** Whether the code's reason is the generic ERR_R_SYS_LIB ("system lib") that follows a system error. */
int falaj_err_is_generic_system_lib(unsigned long code);

/** EVP_EC_gen("P-256"): a new EC key on the NIST P-256 curve, or NULL. */
EVP_PKEY *falaj_evp_pkey_generate_p256(void);
/** Adds a v3 extension to a self-issued certificate from its config string, e.g. (NID_subject_alt_name, "DNS:localhost"). Returns 1 on success. */
int falaj_x509_add_self_issued_ext(X509 *cert, int nid, const char *value);

/** EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, length, NULL): the nonce length for AES-GCM, before the key and nonce are set. Returns 1 on success. */
int falaj_evp_gcm_set_iv_length(EVP_CIPHER_CTX *ctx, int length);
/** EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, length, tag): copies the tag out after EVP_EncryptFinal_ex. Returns 1 on success. */
int falaj_evp_gcm_get_tag(EVP_CIPHER_CTX *ctx, uint8_t *tag, int length);
/** EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, length, tag): the expected tag, before EVP_DecryptFinal_ex (OpenSSL copies it). Returns 1 on success. */
int falaj_evp_gcm_set_tag(EVP_CIPHER_CTX *ctx, const uint8_t *tag, int length);

#endif
