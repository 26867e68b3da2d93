/* conn-floor.c: the least a client can spend on a connection per request.
 * 1,000 requests at 100 a second to 127.0.0.1:18080, each on a connection
 * of its own: connect, write the request the load sends, read to the end,
 * close. Nothing else: no runtime, no goroutines, no timers but the pacing.
 * Its CPU against the loader's (perf stat -e task-clock, interleaved runs,
 * the same local server) says what of the loader's cost is the kernel's.
 *   gcc -O2 -o conn-floor conn-floor.c && perf stat -e task-clock ./conn-floor
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(void) {
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_port = htons(18080);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	const char *req = "GET / HTTP/1.1\r\nHost: 127.0.0.1:18080\r\nUser-Agent: Go-http-client/1.1\r\n"
	                  "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n";
	static char buf[65536];
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (int i = 0; i < 1000; i++) {
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
