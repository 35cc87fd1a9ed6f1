/*
 * TLS for the SMTP server (OpenSSL): one SSL_CTX for STARTTLS and the
 * implicit-TLS listener.  Without a configured certificate a self-signed
 * one is made on first start under STATE_DIR/tls/ (key mode 0600) and
 * reused afterwards.
 */
#ifndef OF_TLS_H
#define OF_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

struct config;

/*
 * The server context: [smtp] tls_cert and tls_key, or the self-signed
 * pair (made when missing).  NULL with *cause.
 */
SSL_CTX		*tls_server_new(const struct config *, const char *hostname,
		    char **cause);
void		 tls_server_free(SSL_CTX *);

/*
 * Check the configured key without loading anything: a key file others
 * may read is refused.  0, or -1 with *cause.
 */
int		 tls_check_key(const char *path, char **cause);

/*
 * What a Received: header says of the connection, as Postfix writes it:
 * "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)".
 */
void		 tls_describe(SSL *, char *buf, size_t len);

#endif
