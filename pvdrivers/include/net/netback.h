/* netback (net/back.c), as dom0's toolstack sees it. */
#ifndef NET_NETBACK_H
#define NET_NETBACK_H

/* vifs in netback's table and the bridge's ports in use (xl's leak check). */
void netback_usage(unsigned int *nr_vifs, unsigned int *nr_ports);

#endif
