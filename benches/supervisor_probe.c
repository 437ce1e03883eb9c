/*
 * supervisor_probe: how many getppid() calls per second a process makes,
 * for benches/supervisor.sh, which runs it bare and inside go-jail (with
 * and without the --report-denied/--complain supervisor).
 *
 *   supervisor_probe CALLS [CPU]
 *
 * With CPU, the probe first moves itself to that CPU (sched_setaffinity),
 * e.g. to run on another CPU than its supervisor, which is pinned with
 * taskset before the probe starts.
 *
 * Makes WARMUP calls, then times CALLS calls of syscall(SYS_getppid) with
 * clock_gettime(CLOCK_MONOTONIC) (vDSO: no syscall) around the loop.
 * getppid takes no argument, cannot fail on its own, and neither the
 * dynamic loader nor libc's start-up calls it, so a jail that denies it
 * changes nothing else the probe does.
 *
 * Prints one line of key=value pairs:
 *
 *   calls=N ns_per_call=X calls_per_s=Y result=ok|EPERM|errno:N
 *
 * result is what the last call returned: "ok" when it ran (returned the
 * parent's pid), else the errno's name. It is a description, not a check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 1000L

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s CALLS [CPU]\n", argv[0]);
		return 2;
	}
	char *end;
	errno = 0;
	long calls = strtol(argv[1], &end, 10);
	if (errno || *end || calls <= 0) {
		fprintf(stderr, "supervisor_probe: bad CALLS: %s\n", argv[1]);
		return 2;
	}
	if (argc == 3) {
		long cpu = strtol(argv[2], &end, 10);
		cpu_set_t set;
		CPU_ZERO(&set);
		if (*end || cpu < 0 || cpu >= CPU_SETSIZE) {
			fprintf(stderr, "supervisor_probe: bad CPU: %s\n", argv[2]);
			return 2;
		}
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof set, &set) != 0) {
			perror("supervisor_probe: sched_setaffinity");
			return 1;
		}
	}

	long ret = 0;
	int err = 0;
	for (long i = 0; i < WARMUP; i++)
		ret = syscall(SYS_getppid);

	double t0 = now_ns();
	for (long i = 0; i < calls; i++)
		ret = syscall(SYS_getppid);
	err = errno;
	double t1 = now_ns();

	double ns = (t1 - t0) / (double)calls;
	const char *result = "ok";
	char buf[32];
	if (ret < 0) {
		if (err == EPERM) {
			result = "EPERM";
		} else {
			snprintf(buf, sizeof buf, "errno:%d", err);
			result = buf;
		}
	}
	printf("calls=%ld ns_per_call=%.1f calls_per_s=%.0f result=%s\n", calls, ns,
	       1e9 / ns, result);
	return 0;
}
