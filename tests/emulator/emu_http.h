#ifndef EMU_HTTP_H
#define EMU_HTTP_H

struct MHD_Daemon;

/*
 * Serve the listening socket fd with libmicrohttpd, one thread per
 * connection: a long poll simply blocks its own thread. NULL on failure.
 * Stop with MHD_stop_daemon after emu_wake_all().
 */
struct MHD_Daemon *emu_http_start(int fd, int ipv6);

#endif
