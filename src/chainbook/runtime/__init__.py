"""The node runtime: the only place with sockets, clocks, threads and disk handles."""
