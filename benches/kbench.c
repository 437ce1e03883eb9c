/*
 * kbench: the kernel's cost of one syscall under a seccomp filter.
 *
 *   kbench FILTER.bpf|none NR ITERS [ARG0 ... ARG5]
 *
 * Forks a child that sets no_new_privs, loads FILTER (a raw struct
 * sock_filter array, as bpf_asm::Program::to_bytes and seccomp_export_bpf
 * write it; "none" loads nothing: the baseline), issues syscall NR with the
 * given arguments ITERS times with the raw `syscall` instruction, in 11
 * batches each timed with clock_gettime(CLOCK_MONOTONIC) (vDSO: no syscall),
 * and reports through shared memory, so the filter need not allow anything
 * else.
 *
 * Prints key=value lines: ns_per_call (of the median batch), ret (the raw
 * return value of the last call: a negative errno when the filter returned
 * ERRNO).
 *
 * The call runs ITERS times, allowed ones for real (and in the unfiltered
 * baseline): it must be safe to repeat, e.g. getppid(), close(-1), or
 * personality(0), which sets the persona the process already has.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 10000L
#define BATCHES 11

struct result {
	volatile int done;
	int err;
	const char *step;
	double ns_per_call;
	long ret;
};

static inline long raw_syscall6(long nr, const long a[6])
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = a[3];
	register long r8 __asm__("r8") = a[4];
	register long r9 __asm__("r9") = a[5];
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
#else
	long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	return r == -1 ? -errno : r;
#endif
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static struct sock_filter *read_filter(const char *path, unsigned short *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	struct stat st;
	if (fstat(fileno(f), &st) < 0 || st.st_size == 0 || st.st_size % 8 != 0 ||
	    st.st_size / 8 > BPF_MAXINSNS) {
		fprintf(stderr, "kbench: %s: not a raw BPF program\n", path);
		exit(1);
	}
	struct sock_filter *insns = malloc((size_t)st.st_size);
	if (insns == NULL || fread(insns, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		fprintf(stderr, "kbench: %s: read failed\n", path);
		exit(1);
	}
	fclose(f);
	*len = (unsigned short)(st.st_size / 8);
	return insns;
}

static void child(struct result *res, struct sock_fprog *prog, long nr, const long args[6], long iters)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		res->err = errno;
		res->step = "prctl(PR_SET_NO_NEW_PRIVS)";
		return;
	}
	if (prog != NULL && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0) {
		res->err = errno;
		res->step = "seccomp(SECCOMP_SET_MODE_FILTER)";
		return;
	}
	long ret = 0;
	for (long i = 0; i < WARMUP; i++)
		ret = raw_syscall6(nr, args);
	long per_batch = iters / BATCHES > 0 ? iters / BATCHES : 1;
	double batch_ns[BATCHES];
	for (int b = 0; b < BATCHES; b++) {
		int64_t t0 = now_ns();
		for (long i = 0; i < per_batch; i++)
			ret = raw_syscall6(nr, args);
		batch_ns[b] = (double)(now_ns() - t0) / (double)per_batch;
	}
	/* The median batch: a preemption inside one batch does not count. */
	qsort(batch_ns, BATCHES, sizeof batch_ns[0], cmp_double);
	res->ns_per_call = batch_ns[BATCHES / 2];
	res->ret = ret;
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 10) {
		fprintf(stderr, "usage: %s FILTER.bpf|none NR ITERS [ARG0 ... ARG5]\n", argv[0]);
		return 2;
	}
	struct sock_fprog prog = {0};
	int have_filter = strcmp(argv[1], "none") != 0;
	if (have_filter)
		prog.filter = read_filter(argv[1], &prog.len);
	long nr = strtol(argv[2], NULL, 0);
	long iters = strtol(argv[3], NULL, 0);
	if (iters < 1)
		iters = 1;
	long args[6] = {0};
	for (int i = 4; i < argc; i++)
		args[i - 4] = (long)strtoul(argv[i], NULL, 0);

	struct result *res = mmap(NULL, sizeof *res, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(res, 0, sizeof *res);
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		child(res, have_filter ? &prog : NULL, nr, args, iters);
		__atomic_store_n(&res->done, 1, __ATOMIC_SEQ_CST);
		/* exit_group may be denied: fall back to exit, then to a crash. */
		syscall(SYS_exit_group, 0);
		syscall(SYS_exit, 0);
		abort();
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!__atomic_load_n(&res->done, __ATOMIC_SEQ_CST)) {
		fprintf(stderr, "kbench: child died before reporting (status %#x)\n", status);
		return 1;
	}
	if (res->err != 0) {
		fprintf(stderr, "kbench: %s: %s\n", res->step, strerror(res->err));
		return 1;
	}
	printf("ns_per_call=%.3f\nret=%ld\n", res->ns_per_call, res->ret);
	return 0;
}
