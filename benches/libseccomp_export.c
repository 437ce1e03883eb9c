/*
 * libseccomp_export: compile a syscall-name policy with libseccomp, export the
 * raw BPF program (struct sock_filter array) and time the compilation.
 *
 *   libseccomp_export NAMES allow|deny OPT OUT.bpf ITERS
 *
 * NAMES  one syscall name per line ('#' comments and blank lines ignored)
 * allow  default SCMP_ACT_ERRNO(EPERM), listed names SCMP_ACT_ALLOW
 * deny   default SCMP_ACT_ALLOW, listed names SCMP_ACT_ERRNO(EPERM)
 * OPT    SCMP_FLTATR_CTL_OPTIMIZE: 1 = default (priority list), 2 = binary tree
 * ITERS  timed compilations (seccomp_init + attributes + rule_add for every
 *        name + seccomp_export_bpf + seccomp_release); names are resolved once
 *        beforehand and not timed
 *
 * Prints key=value lines: rules, skipped (names unknown on x86_64 or
 * pseudo-numbers such as mmap2, which rule_add would ignore), median_ns.
 *
 * The policy is built by build_policy() from a list of rules so that other
 * rule kinds (argument comparisons, per-rule actions) can be added there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_RULES 4096

struct rule {
	int nr;
	uint32_t action;
};

struct policy {
	uint32_t default_action;
	int optimize;
	size_t n_rules;
	struct rule rules[MAX_RULES];
};

static void die(const char *what, int err)
{
	fprintf(stderr, "libseccomp_export: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* Builds a libseccomp context for the policy; the caller releases it. */
static scmp_filter_ctx build_policy(const struct policy *p)
{
	scmp_filter_ctx ctx = seccomp_init(p->default_action);
	if (ctx == NULL)
		die("seccomp_init", ENOMEM);
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, (uint32_t)p->optimize);
	if (rc < 0)
		die("seccomp_attr_set(SCMP_FLTATR_CTL_OPTIMIZE)", rc);
	for (size_t i = 0; i < p->n_rules; i++) {
		rc = seccomp_rule_add(ctx, p->rules[i].action, p->rules[i].nr, 0);
		if (rc < 0)
			die("seccomp_rule_add", rc);
	}
	return ctx;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void load_names(const char *path, struct policy *p, uint32_t rule_action, size_t *skipped)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		die(path, errno);
	char line[256];
	while (fgets(line, sizeof line, f) != NULL) {
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		s[strcspn(s, " \t\r\n#")] = '\0';
		if (*s == '\0')
			continue;
		int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, s);
		if (nr < 0) {
			fprintf(stderr, "libseccomp_export: skipping %s (not a syscall on x86_64)\n", s);
			(*skipped)++;
			continue;
		}
		if (p->n_rules == MAX_RULES)
			die("too many rules", E2BIG);
		p->rules[p->n_rules].nr = nr;
		p->rules[p->n_rules].action = rule_action;
		p->n_rules++;
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: %s NAMES allow|deny OPT OUT.bpf ITERS\n", argv[0]);
		return 2;
	}
	static struct policy p;
	size_t skipped = 0;
	uint32_t rule_action;
	if (strcmp(argv[2], "allow") == 0) {
		p.default_action = SCMP_ACT_ERRNO(EPERM);
		rule_action = SCMP_ACT_ALLOW;
	} else if (strcmp(argv[2], "deny") == 0) {
		p.default_action = SCMP_ACT_ALLOW;
		rule_action = SCMP_ACT_ERRNO(EPERM);
	} else {
		fprintf(stderr, "libseccomp_export: mode must be allow or deny\n");
		return 2;
	}
	p.optimize = atoi(argv[3]);
	if (p.optimize != 1 && p.optimize != 2) {
		fprintf(stderr, "libseccomp_export: OPT must be 1 or 2\n");
		return 2;
	}
	long iters = atol(argv[5]);
	if (iters < 1)
		iters = 1;
	load_names(argv[1], &p, rule_action, &skipped);

	/* The exported program. */
	scmp_filter_ctx ctx = build_policy(&p);
	int fd = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(argv[4], errno);
	int rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		die("seccomp_export_bpf", rc);
	close(fd);
	seccomp_release(ctx);

	/* Compile time: the whole pipeline, exporting to /dev/null. */
	int null = open("/dev/null", O_WRONLY);
	if (null < 0)
		die("/dev/null", errno);
	int64_t *samples = calloc((size_t)iters, sizeof *samples);
	if (samples == NULL)
		die("calloc", ENOMEM);
	for (long i = 0; i < iters; i++) {
		int64_t t0 = now_ns();
		ctx = build_policy(&p);
		rc = seccomp_export_bpf(ctx, null);
		seccomp_release(ctx);
		samples[i] = now_ns() - t0;
		if (rc < 0)
			die("seccomp_export_bpf", rc);
	}
	close(null);
	qsort(samples, (size_t)iters, sizeof *samples, cmp_i64);
	printf("rules=%zu\nskipped=%zu\nmedian_ns=%lld\n", p.n_rules, skipped,
	       (long long)samples[iters / 2]);
	free(samples);
	return 0;
}
