#ifndef FALAJ_C_OPENSSL_SHIM_H
#define FALAJ_C_OPENSSL_SHIM_H
/* Functions for OpenSSL macros that Swift cannot import. */
#include <openssl/ssl.h>

/** SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION). */
int falaj_ssl_ctx_require_tls12(SSL_CTX *ctx);
/** SSL_set_tlsext_host_name (SNI) for a client connection. */
int falaj_ssl_set_hostname(SSL *ssl, const char *name);
/** BIO_get_mem_data: the bytes written to a memory BIO so far. */
long falaj_bio_get_mem_data(BIO *bio, char **data);
/** SSL_CTX_set_options with SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE. */
void falaj_ssl_ctx_set_server_options(SSL_CTX *ctx);

#endif
