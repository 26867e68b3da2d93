/* conn-floor.c: the least a client can spend on a connection per request.
 * N requests (1,000 by default) at 100 a second to an IPv4 address and
 * port (127.0.0.1:18080 by default) for a path (/ by default), each on a
 * connection of its own: connect, write the request the load sends, read
 * to the end, close. Nothing else: no runtime, no goroutines, no timers but
 * the pacing. Its CPU against the loader's (perf stat -e task-clock on the
 * host, or its pod's cgroup with loader-pod-cost.sh's CMDJSON), interleaved
 * runs, the same server, says what of the loader's cost is the kernel's.
 *   gcc -O2 -static -o conn-floor conn-floor.c
 *   perf stat -e task-clock ./conn-floor [address [port [path [requests]]]]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
	const char *addr = argc > 1 ? argv[1] : "127.0.0.1";
	int port = argc > 2 ? atoi(argv[2]) : 18080;
	const char *path = argc > 3 ? argv[3] : "/";
	int requests = argc > 4 ? atoi(argv[4]) : 1000;
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
		fprintf(stderr, "%s is not an IPv4 address\n", addr);
		return 2;
	}
	static char req[1024];
	snprintf(req, sizeof req,
	         "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: Go-http-client/1.1\r\n"
	         "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n",
	         path, addr, port);
	static char buf[65536];
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (int i = 0; i < requests; i++) {
		next.tv_nsec += 10000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
			perror("connect");
			return 1;
		}
		if (write(s, req, strlen(req)) < 0) {
			perror("write");
			return 1;
		}
		while (read(s, buf, sizeof buf) > 0)
			;
		close(s);
	}
	return 0;
}
